"""Kafka I/O for touchpoints: the consumer that reads them as a group member and commits only
when told, the producer of dead letters, and topic creation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from adapters.kafka_binding import KafkaRecord, dead_letter_headers, next_offsets


@dataclass(frozen=True)
class KafkaOptions:
    """How to reach the broker and how a group member keeps its membership."""

    bootstrap: str
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    request_timeout_ms: int = 30_000
    fetch_max_wait_ms: int = 500


def group_member(options: KafkaOptions, group: str, max_records: int) -> KafkaConsumer:
    """A consumer in ``group`` that never commits by itself and starts a partition without a
    committed offset at its earliest message (subscribe it to its topics)."""
    return KafkaConsumer(
        bootstrap_servers=options.bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        session_timeout_ms=options.session_timeout_ms,
        heartbeat_interval_ms=options.heartbeat_interval_ms,
        request_timeout_ms=options.request_timeout_ms,
        fetch_max_wait_ms=options.fetch_max_wait_ms,
    )


def poll_records(consumer: KafkaConsumer, timeout: float, max_records: int) -> list[KafkaRecord]:
    """Up to ``max_records`` messages, each partition's in offset order; [] after ``timeout``
    seconds without any."""
    batches = consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
    return [
        KafkaRecord(m.topic, m.partition, m.offset, m.key, m.value, tuple(m.headers or ()))
        for tp in sorted(batches, key=lambda tp: (tp.topic, tp.partition))
        for m in batches[tp]
    ]


class TouchpointConsumer:
    """A member of consumer group ``group`` reading ``topic`` from the earliest uncommitted
    offset. Offsets are committed only by ``commit``, never automatically."""

    def __init__(self, options: KafkaOptions, topic: str, group: str, *, max_records: int = 500) -> None:
        self.max_records = max_records
        self._consumer = group_member(options, group, max_records)
        self._consumer.subscribe([topic])

    def poll(self, timeout: float) -> list[KafkaRecord]:
        """Up to ``max_records`` messages, each partition's in offset order; [] after ``timeout``
        seconds without any."""
        return poll_records(self._consumer, timeout, self.max_records)

    def commit(self, records: Sequence[KafkaRecord]) -> None:
        """Commit, synchronously, the offsets after ``records`` (call once they are durable)."""
        offsets = {
            TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
            for (topic, partition), offset in next_offsets(records).items()
        }
        if offsets:
            self._consumer.commit(offsets)

    def close(self) -> None:
        """Leave the group without committing anything."""
        self._consumer.close(autocommit=False)


class DeadLetterProducer:
    """Sends messages that cannot be stored to ``topic``: original key, value and headers, plus
    headers naming the error and where the message was read. Idempotent, ``acks=all``."""

    def __init__(self, options: KafkaOptions, topic: str) -> None:
        self.options = options
        self.topic = topic
        self._producer: KafkaProducer | None = None  # connected on first use, again after a failure

    def send(self, letters: Sequence[tuple[KafkaRecord, str, str]], timeout: float) -> None:
        """Send every (record, code, detail) and wait until the broker has acknowledged all;
        raises the first failure (then none of them may count as sent)."""
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.options.bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
                request_timeout_ms=self.options.request_timeout_ms,
            )
        try:
            futures = [
                self._producer.send(self.topic, key=r.key, value=r.value, headers=dead_letter_headers(r, code, detail))
                for r, code, detail in letters
            ]
            self._producer.flush(timeout)
            for future in futures:
                future.get(timeout)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            producer.close(timeout=5)


#: A topic that keeps every message for ever (the relayed stream: a new consumer reads it whole).
KEEP_ALL = {"retention.ms": "-1", "retention.bytes": "-1"}
#: A topic that keeps the last message per key (the customers' profiles).
COMPACTED = {"cleanup.policy": "compact"}


def ensure_topics(
    options: KafkaOptions, partitions: Mapping[str, int], replication_factor: int = 1,
    configs: Mapping[str, str] | None = None,
) -> None:
    """Create each topic that does not exist yet with its number of partitions and ``configs``
    (e.g. ``KEEP_ALL``, ``COMPACTED``); an existing topic is left as it is."""
    configs = dict(configs or {})
    admin = KafkaAdminClient(bootstrap_servers=options.bootstrap, request_timeout_ms=options.request_timeout_ms)
    try:
        missing = [name for name in partitions if name not in set(admin.list_topics())]
        for name in missing:
            try:
                admin.create_topics([NewTopic(name, num_partitions=partitions[name], replication_factor=replication_factor,
                                             topic_configs=configs)])
            except TopicAlreadyExistsError:
                pass  # created meanwhile by another worker
    finally:
        admin.close()
