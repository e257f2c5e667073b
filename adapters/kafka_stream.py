"""The consumer of ``journey.events`` for views fed from Kafka: a consumer-group member that
keeps no offsets in Kafka. When partitions are assigned to it, it seeks each to the offset the
read store recorded with the view rows (``offsets()``), or to the beginning when none is."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kafka import ConsumerRebalanceListener, TopicPartition

from adapters.kafka_binding import KafkaRecord
from adapters.kafka_touchpoints import KafkaOptions, group_member, poll_records

log = logging.getLogger(__name__)


class _SeekToStored(ConsumerRebalanceListener):
    def __init__(self, owner: StreamConsumer) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """Nothing to commit: every applied offset is in the read store already."""

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.owner.assigned = sorted(tp.partition for tp in assigned)
        stored = self.owner.offsets()
        for tp in assigned:
            if stored.get(tp.partition, 0) > 0:
                self.owner.consumer.seek(tp, stored[tp.partition])
            else:
                self.owner.consumer.seek_to_beginning(tp)
        log.info("assigned partitions %s of %s", self.owner.assigned, self.owner.topic)


class StreamConsumer:
    """A member of ``group`` reading ``topic``; never commits to Kafka. A stored offset beyond
    the partition's end (the log was lost) falls back to the earliest offset."""

    def __init__(
        self, options: KafkaOptions, topic: str, group: str, offsets: Callable[[], dict[int, int]],
        *, max_records: int = 1000,
    ) -> None:
        self.topic = topic
        self.offsets = offsets
        self.max_records = max_records
        self.assigned: list[int] = []
        self.consumer = group_member(options, group, max_records)
        self.consumer.subscribe([topic], listener=_SeekToStored(self))

    def partitions(self) -> int:
        """How many partitions the topic has, from fresh metadata (0 when the broker does not
        know the topic)."""
        self.consumer.topics()  # a metadata request: partitions_for_topic answers from its cache
        return len(self.consumer.partitions_for_topic(self.topic) or ())

    def poll(self, timeout: float) -> list[KafkaRecord]:
        """Up to ``max_records`` messages, each partition's in offset order."""
        return poll_records(self.consumer, timeout, self.max_records)

    def rewind(self, partition: int) -> None:
        """Read ``partition`` again from its first offset."""
        self.consumer.seek_to_beginning(TopicPartition(self.topic, partition))

    def close(self) -> None:
        """Leave the group; nothing to commit."""
        self.consumer.close(autocommit=False)
