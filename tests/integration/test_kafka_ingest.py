"""`journey ingest` against a real Kafka-protocol broker: CloudEvents in both modes of the Kafka
binding stored once, redeliveries store nothing twice, poison messages go to the dead-letter
topic without costing a valid one, and offsets are committed only once a batch is durable."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer
from kafka.errors import KafkaConnectionError

from adapters.kafka_binding import KafkaRecord
from adapters.kafka_touchpoints import DeadLetterProducer, TouchpointConsumer
from services.bootstrap import Journey
from services.clock import FixedClock
from services.ingest import IngestRound, IngestWorker, ingest_worker
from services.settings import kafka_options
from tests.integration.helpers import open_journey
from tests.support.kafka import FAST_GROUP, binary, committed_offsets, keyed, publish, registered, structured

pytestmark = pytest.mark.kafka

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
DEADLINE_SECONDS = 60.0


@dataclass
class Ingesting:
    journey: Journey
    worker: IngestWorker
    dead_letters: DeadLetterProducer
    topic: str
    dlq: str
    group: str
    bootstrap: str


@pytest.fixture
def ingesting(kafka_bootstrap, sqlite_url) -> Iterator[Ingesting]:
    """A journey on SQLite and an ingest worker on topics and a group of this test's own."""
    suffix = uuid.uuid4().hex[:8]
    topic, dlq, group = f"touchpoints-{suffix}", f"touchpoints-{suffix}.dlq", f"ingest-{suffix}"
    journey = open_journey(
        sqlite_url, FixedClock(NOW), kafka_bootstrap=kafka_bootstrap, kafka_touchpoints_topic=topic,
        kafka_dlq_topic=dlq, kafka_group=group, kafka_partitions=2, kafka_batch_size=50,
        kafka_session_timeout_ms=FAST_GROUP["session_timeout_ms"],
        kafka_heartbeat_interval_ms=FAST_GROUP["heartbeat_interval_ms"],
    )
    worker, dead_letters = ingest_worker(journey.settings, journey.service, journey.clock)
    yield Ingesting(journey, worker, dead_letters, topic, dlq, group, kafka_bootstrap)
    dead_letters.close()
    journey.close()


def read_all(consumer: TouchpointConsumer, count: int) -> list[KafkaRecord]:
    """Poll until ``count`` messages have come (a bounded wait: joining a group takes a moment)."""
    records: list[KafkaRecord] = []
    deadline = time.monotonic() + DEADLINE_SECONDS
    while len(records) < count:
        assert time.monotonic() < deadline, f"only {len(records)} of {count} messages arrived"
        records += consumer.poll(0.5)
    assert len(records) == count
    return records


def ingest_all(ing: Ingesting, consumer: TouchpointConsumer, count: int) -> IngestRound:
    """Run rounds (store, then commit) until ``count`` messages have been read."""
    total = IngestRound()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while total.read < count:
        assert time.monotonic() < deadline, f"only {total.read} of {count} messages arrived"
        total += ing.worker.ingest.round(consumer, 0.5)
    assert total.read == count
    return total


def committed(ing: Ingesting) -> int:
    return committed_offsets(ing.bootstrap, ing.group, ing.topic)


def connect(ing: Ingesting, group: str | None = None) -> TouchpointConsumer:
    """The worker's consumer (its group, topics created if missing), or one of another group."""
    if group is None:
        return ing.worker.open_consumer()
    return TouchpointConsumer(kafka_options(ing.journey.settings), ing.topic, group)


def test_cloudevents_in_binary_and_structured_mode_are_stored_once_each(ingesting: Ingesting) -> None:
    ing = ingesting
    # 1. Two customers in binary mode, two in structured mode, keyed by customer.
    publish(ing.bootstrap, ing.topic, [
        keyed("k-1", binary(registered("k-1", "e-1"))),
        keyed("k-2", structured(registered("k-2", "e-2"))),
        keyed("k-3", binary(registered("k-3", "e-3"))),
        keyed("k-4", structured(registered("k-4", "e-4"))),
    ])
    consumer = connect(ing)
    try:
        batch = ingest_all(ing, consumer, 4)
    finally:
        consumer.close()
    # 2. Each is stored once, as the integrator's touchpoint, and the batch is committed.
    assert batch == IngestRound(read=4, stored=4, duplicates=0, dead_lettered=0)
    assert ing.journey.service.head() == 4
    assert committed(ing) == 4
    ing.journey.projector.catch_up()
    assert {c: ing.journey.reads.support(c)["customer"]["email"] for c in ("k-1", "k-4")} == {
        "k-1": "k-1@example.org", "k-4": "k-4@example.org"}


def test_a_redelivery_from_offset_zero_stores_nothing_twice(ingesting: Ingesting) -> None:
    ing = ingesting
    publish(ing.bootstrap, ing.topic, [keyed(f"r-{i}", binary(registered(f"r-{i}", f"e-{i}"))) for i in range(5)])
    first = connect(ing)
    try:
        assert ingest_all(ing, first, 5) == IngestRound(read=5, stored=5)
    finally:
        first.close()
    # A consumer of another group reads the topic again from offset 0: all duplicates.
    again = connect(ing, group=f"{ing.group}-again")
    try:
        assert ingest_all(ing, again, 5) == IngestRound(read=5, stored=0, duplicates=5)
    finally:
        again.close()
    assert ing.journey.service.head() == 5


def dead_letters(ing: Ingesting, count: int) -> list:
    """The first ``count`` messages of the dead-letter topic (a bounded wait)."""
    consumer = KafkaConsumer(
        ing.dlq, bootstrap_servers=ing.bootstrap, group_id=f"{ing.group}-dlq-reader",
        auto_offset_reset="earliest", enable_auto_commit=False, **FAST_GROUP,
    )
    letters: list = []
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while len(letters) < count:
            assert time.monotonic() < deadline, f"only {len(letters)} of {count} dead letters arrived"
            for messages in consumer.poll(timeout_ms=500).values():
                letters += messages
    finally:
        consumer.close()
    return letters


def test_poison_messages_between_valid_ones_go_to_the_dead_letter_topic_and_the_valid_ones_are_stored(
    ingesting: Ingesting,
) -> None:
    ing = ingesting
    bad_bytes = (b"p-1", b"\xff\xfe not json", binary(registered("p-1", "x-1"))[1])
    not_a_cloudevent = (b"p-2", b"hello", [("trace", b"\x00\x01")])
    unknown_type = keyed("p-3", structured({**registered("p-3", "x-3"), "type": "coupon.redeemed"}))
    invalid_data = keyed("p-4", binary(registered("p-4", "x-4", email="not-an-email")))
    order_of_nobody = {
        "specversion": "1.0", "id": "x-5", "source": "shop", "type": "order.placed", "subject": "nobody",
        "time": "2026-03-01T10:05:00Z", "data": {"order_id": "O-9", "currency": "EUR", "lines": [
            {"sku": "BIT-SET-32", "product_group": "accessories", "quantity": 1, "unit_price": "24.90"}]},
    }
    rule_violation = keyed("nobody", structured(order_of_nobody))
    header_not_utf8 = (b"p-6", b"{}", [("ce_specversion", b"1.0"), ("ce_id", b"\xff")])
    too_old = keyed("p-7", binary({**registered("p-7", "x-7"), "time": "1990-01-01T00:00:00Z"}))
    # 1. Seven poison messages between four valid ones, keyed by customer over two partitions.
    publish(ing.bootstrap, ing.topic, [
        keyed("v-1", binary(registered("v-1", "e-1"))),
        bad_bytes, not_a_cloudevent,
        keyed("v-2", structured(registered("v-2", "e-2"))),
        unknown_type, invalid_data, rule_violation,
        keyed("v-3", binary(registered("v-3", "e-3"))),
        header_not_utf8, too_old,
        keyed("v-4", structured(registered("v-4", "e-4"))),
    ])
    consumer = connect(ing)
    try:
        batch = ingest_all(ing, consumer, 11)
    finally:
        consumer.close()
    # 2. The four valid ones are stored, the seven others dead-lettered, all committed.
    assert batch == IngestRound(read=11, stored=4, duplicates=0, dead_lettered=7)
    assert ing.journey.service.head() == 4
    assert committed(ing) == 11
    # 3. Each dead letter keeps its key, value and headers and says why and where it was read.
    letters = {m.key: m for m in dead_letters(ing, 7)}
    codes = {key: dict(m.headers)["journey_error_code"].decode() for key, m in letters.items()}
    assert codes == {
        b"p-1": "malformed-json", b"p-2": "unsupported-media-type", b"p-3": "unknown-event-type",
        b"p-4": "invalid-event-data", b"nobody": "unknown-customer", b"p-6": "malformed-header",
        b"p-7": "time-out-of-range",
    }
    bad = letters[b"p-1"]
    assert bad.value == bad_bytes[1]
    assert bad.headers[: len(bad_bytes[2])] == bad_bytes[2]
    where = dict(bad.headers)
    assert where["journey_original_topic"] == ing.topic.encode()
    assert int(where["journey_original_partition"]) in (0, 1)
    assert int(where["journey_original_offset"]) >= 0
    assert where["journey_error_detail"]
    assert letters[b"p-2"].headers[0] == ("trace", b"\x00\x01")
    assert b"nobody" in dict(letters[b"nobody"].headers)["journey_error_detail"]


def test_a_batch_stored_but_not_committed_is_read_again_and_stores_nothing_new(ingesting: Ingesting) -> None:
    ing = ingesting
    publish(ing.bootstrap, ing.topic, [keyed(f"c-{i}", binary(registered(f"c-{i}", f"e-{i}"))) for i in range(6)])
    # 1. The worker stores the batch and stops before committing (as if killed there).
    first = connect(ing)
    try:
        records = read_all(first, 6)
        assert ing.worker.ingest.store(records) == IngestRound(read=6, stored=6)
    finally:
        first.close()
    assert committed(ing) == 0
    # 2. The group reads the same messages again: each is found stored; now they are committed.
    again = connect(ing)
    try:
        assert ingest_all(ing, again, 6) == IngestRound(read=6, stored=0, duplicates=6)
    finally:
        again.close()
    assert ing.journey.service.head() == 6
    assert committed(ing) == 6


def test_the_worker_backs_off_after_an_error_and_resumes_at_the_committed_offsets(ingesting: Ingesting) -> None:
    ing = ingesting
    worker = ing.worker
    attempts: list[int] = []
    connect_for_real = worker.open_consumer

    def broker_down_once() -> TouchpointConsumer:
        attempts.append(1)
        if len(attempts) == 1:
            raise KafkaConnectionError("broker unreachable")
        return connect_for_real()

    worker.open_consumer = broker_down_once
    worker.poll_seconds = 0.2
    publish(ing.bootstrap, ing.topic, [keyed(f"b-{i}", binary(registered(f"b-{i}", f"e-{i}"))) for i in range(3)])
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while worker.state.totals.read < 3:
            assert time.monotonic() < deadline, worker.state
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    state = worker.state
    assert (state.status, state.failures, state.totals) == ("stopped", 0, IngestRound(read=3, stored=3))
    assert "broker unreachable" in (state.last_error or "")
    assert len(attempts) == 2
    assert ing.journey.service.head() == 3
