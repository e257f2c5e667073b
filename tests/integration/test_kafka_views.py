"""Views fed from Kafka (`journey project --source kafka`) against a real Kafka-protocol broker
and both databases: they equal the in-database projector's views, a batch delivered again or
re-sent by the relay changes nothing, messages the relay did not write are skipped, the views'
position is the lowest of all partitions, and a partition that misses events is read again."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kafka.admin import KafkaAdminClient

from adapters.kafka_binding import KafkaRecord
from adapters.kafka_events import StreamProducer, read_relayed
from adapters.kafka_tables import PartitionCountError, RelayState
from adapters.kafka_touchpoints import ensure_topics
from domain import commands as c
from projections.views import fold
from services.bootstrap import Journey
from services.clock import FixedClock
from services.kafka_projector import KafkaProjector, KafkaProjectorWorker, kafka_projector_worker
from services.relay import RELAY, Relay, Topics
from services.settings import kafka_options
from tests.integration.helpers import SALES, START, dump, eventful_history, fresh_read_store, open_journey
from tests.support.kafka import FAST_GROUP, publish, read_topic

pytestmark = pytest.mark.kafka

DEADLINE_SECONDS = 60.0
CUSTOMERS = ["c1", "c2"]


@dataclass
class Fed:
    journey: Journey
    topics: Topics
    bootstrap: str
    group: str

    def relay(self, batch_size: int = 1000) -> Relay:
        return Relay(self.journey.service.app, self.journey.store, StreamProducer(kafka_options(self.journey.settings)),
                     self.topics, batch_size=batch_size, idle_watermark_seconds=3600)

    def worker(self) -> KafkaProjectorWorker:
        return kafka_projector_worker(self.journey.settings, self.journey.service.app, self.journey.store)

    def rebuilt(self, tmp_path, customers: list[str] = CUSTOMERS) -> dict:
        """The views as the in-database projector builds them from the stream."""
        store = fresh_read_store(self.journey, f"rebuilt{uuid.uuid4().hex[:6]}", tmp_path)
        try:
            events = [(self.journey.service.app.mapper.to_domain_event(n), n.id)
                      for n in self.journey.service.app.recorder.select_notifications(start=1, limit=100_000)]
            store.project("journey", events, fold)
            return dump(store, customers)
        finally:
            store.close()


@pytest.fixture
def fed(kafka_bootstrap, database_url) -> Iterator[Fed]:
    suffix = uuid.uuid4().hex[:8]
    topics = Topics(f"events-{suffix}", f"customers-{suffix}")
    group = f"views-{suffix}"
    clock = FixedClock(START)
    journey = open_journey(
        database_url, clock, kafka_bootstrap=kafka_bootstrap, projector_source="kafka",
        kafka_events_topic=topics.events, kafka_customers_topic=topics.customers, kafka_projector_group=group,
        kafka_partitions=3, kafka_session_timeout_ms=FAST_GROUP["session_timeout_ms"],
        kafka_heartbeat_interval_ms=FAST_GROUP["heartbeat_interval_ms"],
    )
    ensure_topics(kafka_options(journey.settings), {topics.events: 3, topics.customers: 3})
    eventful_history(journey, clock)
    yield Fed(journey, topics, kafka_bootstrap, group)
    journey.close()


def run_until(worker: KafkaProjectorWorker, reached, what: str) -> None:
    """Run the worker's rounds until ``reached()`` (a bounded wait)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not reached():
        assert time.monotonic() < deadline, f"the worker did not get there: {what}"
        worker.round()


def test_views_fed_from_kafka_equal_the_in_database_projectors_views(fed, tmp_path):
    head = fed.relay().catch_up()
    worker = fed.worker()
    try:
        assert fed.journey.store.position("journey") == 0
        run_until(worker, lambda: fed.journey.store.position("journey") >= head, f"position {head}")
    finally:
        worker.close()
    fed_views = dump(fed.journey.store, CUSTOMERS)
    assert fed_views["position"] == head
    assert fed_views == fed.rebuilt(tmp_path)
    positions = fed.journey.store.partition_positions(fed.topics.events)
    assert positions == dict.fromkeys(range(3), head)  # every partition, by its watermark


def test_a_batch_delivered_again_or_resent_by_the_relay_changes_nothing(fed, tmp_path):
    relay = fed.relay()
    head = relay.catch_up()
    records = read_topic(fed.bootstrap, fed.topics.events)
    projector = KafkaProjector(fed.journey.service.app, fed.journey.store, fed.topics.events)
    first = projector.apply(records)
    assert first.applied == len([r for r in records if _is_event(r)]) > 0
    before = dump(fed.journey.store, CUSTOMERS)
    again = projector.apply(records)  # a redelivery: the same offsets
    assert (again.applied, again.skipped, again.gaps) == (0, len(records), ())
    # The relay re-sends everything (new offsets, same positions): nothing is applied twice.
    relay.state.save_relay_state(RELAY, RelayState(0, {}, {}))
    assert relay.catch_up() == head
    seen = {(r.partition, r.offset) for r in records}
    resent = [r for r in read_topic(fed.bootstrap, fed.topics.events) if (r.partition, r.offset) not in seen]
    assert len([r for r in resent if _is_event(r)]) == first.applied
    assert not projector.apply(resent).applied
    assert dump(fed.journey.store, CUSTOMERS) == before == fed.rebuilt(tmp_path)


def test_messages_the_relay_did_not_write_are_skipped(fed, tmp_path):
    publish(fed.bootstrap, fed.topics.events, [(b"c1", b"\xff not json", []), (None, b"{}", [("ce_type", b"x")])])
    head = fed.relay().catch_up()
    publish(fed.bootstrap, fed.topics.events, [(b"c2", b"garbage", [("journey_position", b"oops")])])
    worker = fed.worker()
    try:
        run_until(worker, lambda: fed.journey.store.position("journey") >= head, f"position {head}")
    finally:
        worker.close()
    assert dump(fed.journey.store, CUSTOMERS) == fed.rebuilt(tmp_path)


def test_a_partition_that_misses_events_is_read_again_from_its_start(fed, tmp_path):
    head = fed.relay().catch_up()
    records = read_topic(fed.bootstrap, fed.topics.events)
    projector = KafkaProjector(fed.journey.service.app, fed.journey.store, fed.topics.events)
    first_event = next(i for i, r in enumerate(records) if _is_event(r))
    partition = records[first_event].partition
    # The first event of a partition lost: what follows it shows the gap.
    applied = projector.apply([r for i, r in enumerate(records) if i != first_event])
    assert partition in {p for p, _ in applied.gaps}
    assert fed.journey.store.position("journey") < head
    assert projector.apply(records).gaps == ()  # read again from the start: complete
    assert fed.journey.store.position("journey") == head
    assert dump(fed.journey.store, CUSTOMERS) == fed.rebuilt(tmp_path)


def test_two_workers_split_the_partitions_and_the_views_are_complete(fed, tmp_path):
    head = fed.relay(batch_size=5).catch_up()
    stop = threading.Event()
    workers = [fed.worker(), fed.worker()]
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        split: list[list[int]] = []
        while fed.journey.store.position("journey") < head or not split:
            assert time.monotonic() < deadline, "the two workers did not reach the head"
            owned = [w.consumer.assigned if w.consumer else [] for w in workers]
            if all(owned) and sorted(p for o in owned for p in o) == [0, 1, 2]:
                split = owned
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert all(w.supervised.state.failures == 0 for w in workers)
    assert all(split) and sum(len(o) for o in split) == 3  # the group split the partitions
    assert dump(fed.journey.store, CUSTOMERS) == fed.rebuilt(tmp_path)


def test_a_worker_behind_when_the_log_was_lost_catches_up_once_the_relay_starts_over(fed, tmp_path):
    relay = fed.relay(batch_size=10)
    relay.catch_up()
    projector = KafkaProjector(fed.journey.service.app, fed.journey.store, fed.topics.events)
    projector.apply(read_topic(fed.bootstrap, fed.topics.events)[:12])  # behind on every partition
    behind = fed.journey.store.position("journey")
    # The log is lost (as a broker restarted empty): the topic is gone and comes back empty.
    admin = KafkaAdminClient(bootstrap_servers=fed.bootstrap)
    try:
        admin.delete_topics([fed.topics.events])
    finally:
        admin.close()
    _wait_for_topic_gone(fed)
    ensure_topics(kafka_options(fed.journey.settings), {fed.topics.events: 3})
    # New events: the relay writes them into the new log with the old chain, notices the loss
    # by the offsets acknowledged, and publishes the stream again from position 0.
    fed.journey.service.execute(c.RegisterCustomer("c3", "Customer c3", "c3@example.org"), SALES)
    relay = fed.relay(batch_size=10)
    relay.round()
    assert relay.position() == 0
    head = relay.catch_up()
    assert head == fed.journey.service.head() > behind
    worker = fed.worker()
    try:
        run_until(worker, lambda: fed.journey.store.position("journey") >= head, f"position {head}")
    finally:
        worker.close()
    assert dump(fed.journey.store, [*CUSTOMERS, "c3"]) == fed.rebuilt(tmp_path, [*CUSTOMERS, "c3"])


def _wait_for_topic_gone(fed: Fed) -> None:
    admin = KafkaAdminClient(bootstrap_servers=fed.bootstrap)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while fed.topics.events in set(admin.list_topics()):
            assert time.monotonic() < deadline, "the topic was not deleted"
            time.sleep(0.1)
    finally:
        admin.close()


def _is_event(record: KafkaRecord) -> bool:
    relayed = read_relayed(record)
    return relayed is not None and relayed.kind == "event"


def test_views_refuse_a_topic_whose_partition_count_changed(fed):
    store = fed.journey.store
    store.ensure_partitions(fed.topics.events, 3)
    store.ensure_partitions(fed.topics.events, 3)  # again: nothing changes
    with pytest.raises(PartitionCountError, match="has 2 partitions, the views were fed from 3"):
        store.ensure_partitions(fed.topics.events, 2)
    assert sorted(store.partition_positions(fed.topics.events)) == [0, 1, 2]
