"""The read store's Kafka state: where ``journey relay`` got to, and, for views fed from Kafka,
every partition's offset and position, written in the same transaction as the view rows.

``relay_state`` holds one row per relay: the last stream position the broker acknowledged,
and per partition the previous event position (``journey_previous`` of the next message) and
the highest offset acknowledged (to notice a partition that lost its log).

``view_partitions`` holds one row per partition of the topic the views are fed from: the next
offset to read (where a worker resumes) and the position the partition is applied up to: every
event of the partition at or below it is in the views. The views reflect the lowest position of
all partitions; ``?min_position`` waits for that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.kafka_binding import KafkaRecord
from adapters.kafka_events import read_relayed
from projections.batch import Fold, Positioned

_dumps = json.JSONEncoder(separators=(",", ":")).encode


class PartitionCountError(Exception):
    """The events topic's partition count is not the one it had: keys moved between partitions."""


@dataclass(frozen=True)
class RelayState:
    """The relay's durable state: the position published up to, and per partition the previous
    event position and the highest acknowledged offset."""

    position: int = 0
    previous: dict[int, int] | None = None
    offsets: dict[int, int] | None = None
    partitions: int | None = None  # of the events topic it published to


@dataclass(frozen=True)
class Applied:
    """What one Kafka batch did to the views: events applied, duplicates skipped, and where a
    gap was found, as (partition, offset): the worker re-reads those partitions from the start."""

    applied: int
    skipped: int
    gaps: tuple[tuple[int, int], ...]


class KafkaTables:
    """A mixin of the read stores; they create the tables (``kafka_statements``)."""

    mark: str
    relay: str = "relay_state"
    partitions: str = "view_partitions"
    datastore: Any
    lock_clause: str
    _marks: Any
    _fold_into: Any
    #: The topic the views are fed from; None when the in-database projector feeds them.
    source_topic: str | None = None

    def kafka_statements(self, *, postgres: bool) -> list[str]:
        text, big = ("text", "bigint") if postgres else ("TEXT", "INTEGER")
        return [
            f"CREATE TABLE IF NOT EXISTS {self.relay} (name {text} PRIMARY KEY, position {big}, state {text})",
            f"CREATE TABLE IF NOT EXISTS {self.partitions} (topic {text}, partition {big}, next_offset {big}, "
            f"position {big}, PRIMARY KEY (topic, partition))",
        ]

    # -- the relay ---------------------------------------------------------------------------

    def relay_state(self, name: str) -> RelayState:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT position, state FROM {self.relay} WHERE name = {self.mark}", (name,))  # noqa: S608
            row = c.fetchone()
        if row is None:
            return RelayState(0, {}, {})
        state = json.loads(row["state"])
        return RelayState(
            row["position"],
            {int(p): v for p, v in state["previous"].items()},
            {int(p): v for p, v in state["offsets"].items()},
            state.get("partitions"),
        )

    def save_relay_state(self, name: str, state: RelayState, expected: int | None = None) -> bool:
        """Record ``state``; with ``expected``, only if the recorded position is still that one
        (compare and set: False when another relay recorded meanwhile)."""
        body = _dumps({"previous": state.previous or {}, "offsets": state.offsets or {},
                       "partitions": state.partitions})
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {self.relay} VALUES ({self._marks(3)}) ON CONFLICT (name) DO NOTHING",  # noqa: S608
                (name, 0, _dumps({"previous": {}, "offsets": {}, "partitions": None})),
            )
            c.execute(f"SELECT position FROM {self.relay} WHERE name = {self.mark}{self.lock_clause}", (name,))  # noqa: S608
            if expected is not None and c.fetchone()["position"] != expected:
                return False
            c.execute(
                f"UPDATE {self.relay} SET position = {self.mark}, state = {self.mark} WHERE name = {self.mark}",  # noqa: S608
                (state.position, body, name),
            )
            return True

    # -- views fed from Kafka ----------------------------------------------------------------

    def ensure_partitions(self, topic: str, count: int) -> None:
        """Make sure every partition of ``topic`` has a row (at position 0 when new), so the
        views' position counts partitions no worker has reached yet. A topic with fewer
        partitions than the views were fed from is refused: its customers' events moved to other
        partitions, and the positions recorded per partition no longer say what was applied (the
        relay refuses any change of the count before it publishes)."""
        known = self.partition_positions(topic)
        if known and max(known) >= count:
            raise PartitionCountError(
                f"{topic} has {count} partitions, the views were fed from {max(known) + 1}: rebuild the "
                "views from a new topic (a new JOURNEY_KAFKA_EVENTS_TOPIC) instead"
            )
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO {self.partitions} VALUES ({self._marks(4)}) "  # noqa: S608
                "ON CONFLICT (topic, partition) DO NOTHING",
                [(topic, p, 0, 0) for p in range(count)],
            )

    def partition_offsets(self, topic: str) -> dict[int, int]:
        """The next offset to read of every partition of ``topic`` with a row."""
        return self._per_partition(topic, "next_offset")

    def partition_positions(self, topic: str) -> dict[int, int]:
        """The position every partition of ``topic`` is applied up to."""
        return self._per_partition(topic, "position")

    def _per_partition(self, topic: str, column: str) -> dict[int, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT partition, {column} AS value FROM {self.partitions} WHERE topic = {self.mark}",  # noqa: S608
                (topic,),
            )
            return {r["partition"]: r["value"] for r in c.fetchall()}

    def apply_partitions(
        self,
        topic: str,
        records: Sequence[KafkaRecord],
        load: Callable[[Sequence[int]], dict[int, Any]],
        fold: Fold,
        passed_over: Mapping[int, int] | None = None,
    ) -> Applied:
        """Apply a batch of ``journey.events`` messages in one transaction with the partitions'
        offsets and positions. Per partition, in offset order: a message at or below the
        partition's position is a duplicate and skipped; one whose ``journey_previous`` lies
        beyond the position means events are missing before it: the partition stops there and
        is reported as a gap, unless the gap lies at or before the offset ``passed_over`` names
        for the partition (it was read again from the start and the gap stayed: only the relay
        publishing the stream again can fill it, so the message is passed over, its position not
        taken). ``load(positions)`` answers the events to fold by position."""
        passed_over = passed_over or {}
        applied = self.partition_positions(topic)  # only grows: what is at or below it is skipped
        wanted = {
            relayed.position
            for message, relayed in ((m, read_relayed(m)) for m in records)
            if relayed is not None and relayed.kind == "event" and relayed.position > applied.get(message.partition, 0)
        }
        events_by_position = load(sorted(wanted))
        by_partition: dict[int, list[KafkaRecord]] = {}
        for record in records:
            by_partition.setdefault(record.partition, []).append(record)
        with self.datastore.transaction(commit=True) as c:
            rows = self._lock_partitions(c, topic, sorted(by_partition))
            chosen: list[Positioned] = []
            skipped, gaps, updates = 0, [], []
            for partition, messages in sorted(by_partition.items()):
                next_offset, position = rows.get(partition, (0, 0))
                for message in sorted(messages, key=lambda m: m.offset):
                    relayed = read_relayed(message)
                    if relayed is not None and relayed.position > position:
                        if relayed.previous > position and message.offset > passed_over.get(partition, -1):
                            gaps.append((partition, message.offset))
                            break
                        if relayed.previous <= position:
                            if relayed.kind == "event":
                                chosen.append((events_by_position[relayed.position], relayed.position))
                            position = relayed.position
                    else:
                        skipped += relayed is not None
                    next_offset = message.offset + 1
                updates.append((next_offset, position, topic, partition))
            if chosen:
                self._fold_into(c, sorted(chosen, key=lambda e: e[1]), fold)
            c.executemany(
                f"UPDATE {self.partitions} SET next_offset = {self.mark}, position = {self.mark} "  # noqa: S608
                f"WHERE topic = {self.mark} AND partition = {self.mark}",
                updates,
            )
        return Applied(len(chosen), skipped, tuple(gaps))

    def _lock_partitions(self, c: Any, topic: str, partitions: list[int]) -> dict[int, tuple[int, int]]:
        c.executemany(
            f"INSERT INTO {self.partitions} VALUES ({self._marks(4)}) "  # noqa: S608
            "ON CONFLICT (topic, partition) DO NOTHING",
            [(topic, p, 0, 0) for p in partitions],
        )
        c.execute(
            f"SELECT partition, next_offset, position FROM {self.partitions} "  # noqa: S608
            f"WHERE topic = {self.mark} AND partition IN ({self._marks(len(partitions))}) "
            f"ORDER BY partition{self.lock_clause}",
            (topic, *partitions),
        )
        return {r["partition"]: (r["next_offset"], r["position"]) for r in c.fetchall()}

    def _kafka_position(self, c: Any) -> int:
        c.execute(f"SELECT min(position) AS p FROM {self.partitions} WHERE topic = {self.mark}", (self.source_topic,))  # noqa: S608
        row = c.fetchone()
        return (row and row["p"]) or 0
