"""``journey project --source kafka``: the department views fed from ``journey.events``, scaled
out as one Kafka consumer group.

Each worker applies every view for the customers of its partitions (a customer's events are in
one partition, in order). A batch is applied in one read-store transaction together with each
partition's next offset and the position it is applied up to, so a killed worker loses nothing
and applies nothing twice: its successor seeks to the stored offsets, and a message at or below
a partition's position is skipped (the relay may re-send its last batch).

``journey.events`` carries no personal data, so the worker takes order, partitioning and
exactly-once from Kafka and the events themselves (with their personal data) from the event
store, the one source of truth; the views are then identical to the in-database projector's.

A message whose ``journey_previous`` lies beyond its partition's position shows a gap: the
partition lost its log (a broker restarted empty), so the relay publishes the stream again from
position 0. The worker re-reads that partition from its start, skips what it has applied, and
passes over the messages that still do not connect (what the relay wrote into the new log before
it noticed the loss) without taking their positions: they arrive again, connected, when the relay
starts over. A position never moves past an event that was not applied.

What ``?min_position`` means here: the views reflect the lowest position of all partitions. The
relay writes a watermark to every partition after every batch, so an idle partition advances too,
and a write's position is reached once every partition has been applied past it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from adapters.kafka_binding import KafkaRecord
from adapters.kafka_stream import StreamConsumer
from adapters.kafka_tables import Applied, KafkaTables
from adapters.kafka_touchpoints import KEEP_ALL, KafkaOptions, ensure_topics
from projections.views import fold
from services.heartbeat import Heartbeat
from services.journey import JourneyApplication
from services.settings import Settings, kafka_options
from services.supervisor import Supervised

log = logging.getLogger(__name__)

#: Wanted positions closer than this are read from the event store in one range.
_RUN = 1000


class KafkaProjector:
    """Applies batches of ``journey.events`` messages to the views in ``store``."""

    def __init__(self, app: JourneyApplication, store: KafkaTables, topic: str) -> None:
        self.app = app
        self.store = store
        self.topic = topic

    def apply(self, records: Sequence[KafkaRecord], passed_over: Mapping[int, int] | None = None) -> Applied:
        return self.store.apply_partitions(self.topic, records, self.load, fold, passed_over)

    def load(self, positions: Sequence[int]) -> dict[int, Any]:
        """The stored events at ``positions`` (ascending), read in ranges."""
        found: dict[int, Any] = {}
        wanted = set(positions)
        runs: list[list[int]] = []
        for position in positions:
            if runs and position - runs[-1][-1] <= _RUN:
                runs[-1].append(position)
            else:
                runs.append([position])
        for run in runs:
            page = self.app.recorder.select_notifications(
                start=run[0], stop=run[-1], limit=run[-1] - run[0] + 1
            )
            found.update({n.id: self.app.mapper.to_domain_event(n) for n in page if n.id in wanted})
        missing = wanted - found.keys()
        if missing:
            raise LookupError(f"positions {sorted(missing)[:5]} are not in the event store")
        return found


class KafkaProjectorWorker:
    """One consumer-group member: poll, apply, rewind partitions with a gap. Supervised: an
    error closes the consumer and a new one rejoins the group after a pause."""

    def __init__(  # noqa: PLR0913
        self,
        projector: KafkaProjector,
        options: KafkaOptions,
        group: str,
        *,
        partitions: int,
        replication_factor: int = 1,
        batch_size: int = 1000,
        poll_seconds: float = 0.5,
        beat: Callable[[], None] = lambda: None,
    ) -> None:
        self.projector = projector
        self.options = options
        self.group = group
        self.topic_partitions = partitions
        self.replication_factor = replication_factor
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.consumer: StreamConsumer | None = None
        self._passed_over: dict[int, int] = {}
        self.supervised = Supervised("projecting from Kafka", self.round, reset=self.close, beat=beat, idle_seconds=0)

    def round(self) -> bool:
        consumer = self.consumer or self._connect()
        records = consumer.poll(self.poll_seconds)
        if not records:
            return False
        applied = self.projector.apply(records, self._passed_over)
        for partition, offset in applied.gaps:
            # Read again from the start; gaps up to what this batch held are then passed over:
            # only the relay publishing the stream again can fill them.
            self._passed_over[partition] = max(r.offset for r in records if r.partition == partition)
            log.warning("partition %d of %s misses events before offset %d; reading it again from its start",
                        partition, self.projector.topic, offset)
            consumer.rewind(partition)
        if applied.gaps and not applied.applied:
            self.supervised.wake.wait(0.5)  # the relay is publishing the stream again: give it time
        return True

    def run(self, stop: threading.Event) -> None:
        self.supervised.run(stop)

    def close(self) -> None:
        if self.consumer is not None:
            consumer, self.consumer = self.consumer, None
            consumer.close()

    def _connect(self) -> StreamConsumer:
        topic = self.projector.topic
        ensure_topics(self.options, {topic: self.topic_partitions}, self.replication_factor, KEEP_ALL)
        store = self.projector.store
        consumer = StreamConsumer(
            self.options, topic, self.group, lambda: store.partition_offsets(topic), max_records=self.batch_size
        )
        try:
            count = consumer.partitions()
            if not count:
                raise LookupError(f"the broker does not know topic {topic} yet")
            # Every partition has a row before anything is applied: the views' position is the
            # lowest of all of them, never of the ones seen so far.
            store.ensure_partitions(topic, count)
        except Exception:
            consumer.close()
            raise
        self.consumer = consumer
        return consumer


def kafka_projector_worker(settings: Settings, app: JourneyApplication, store: KafkaTables) -> KafkaProjectorWorker:
    """Wire one ``journey project --source kafka`` worker (connects nothing yet)."""
    projector = KafkaProjector(app, store, settings.kafka_events_topic)
    return KafkaProjectorWorker(
        projector, kafka_options(settings), settings.kafka_projector_group,
        partitions=settings.kafka_partitions, replication_factor=settings.kafka_replication_factor,
        batch_size=settings.projector_batch_size, beat=Heartbeat(settings.heartbeat_file).beat,
    )
