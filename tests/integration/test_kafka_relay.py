"""`journey relay` against a real Kafka-protocol broker: every event of the stream once, in
order per customer, keyed by customer id, without personal data; profiles on the compacted
customers topic; after a crash before the position was recorded it re-sends only the last
batch, recognisable by position; a partition that lost its log makes it start over."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from adapters.kafka_events import StreamProducer, partition_for, read_relayed
from adapters.kafka_tables import PartitionCountError, RelayState
from adapters.kafka_touchpoints import COMPACTED, ensure_topics
from domain import commands as c
from domain.contact import Channel, Purpose
from domain.personal import PERSONAL_FIELDS
from domain.values import Department, Principal
from services.bootstrap import Journey
from services.clock import FixedClock
from services.relay import RELAY, Relay, RelayConflictError, Topics
from services.settings import kafka_options
from tests.integration.helpers import START, eventful_history, open_journey
from tests.support.kafka import read_topic

pytestmark = pytest.mark.kafka

#: Texts of eventful_history that are personal data: none may reach journey.events.
PERSONAL_TEXTS = ("the hose leaks", "bob@example.com", "Customer c1", "+49 30 1234", "wrong colour",
                  "waiting for salary", "changed mind", "the garden tools were never delivered")


@dataclass
class Relaying:
    journey: Journey
    topics: Topics
    bootstrap: str

    def relay(self, batch_size: int = 7) -> Relay:
        options = kafka_options(self.journey.settings)
        return Relay(self.journey.service.app, self.journey.store, StreamProducer(options), self.topics,
                     batch_size=batch_size, idle_watermark_seconds=3600)


@pytest.fixture
def relaying(kafka_bootstrap, sqlite_url) -> Iterator[Relaying]:
    suffix = uuid.uuid4().hex[:8]
    topics = Topics(f"events-{suffix}", f"customers-{suffix}", f"contacts-{suffix}")
    clock = FixedClock(START)
    journey = open_journey(sqlite_url, clock, kafka_bootstrap=kafka_bootstrap)
    options = kafka_options(journey.settings)
    ensure_topics(options, {topics.events: 3})
    ensure_topics(options, {topics.customers: 3}, configs=COMPACTED)
    ensure_topics(options, {topics.contacts: 3})
    eventful_history(journey, clock)
    yield Relaying(journey, topics, kafka_bootstrap)
    journey.close()


def stream_length(journey: Journey) -> int:
    return len(journey.service.app.recorder.select_notifications(start=1, limit=100_000))


def test_every_event_is_published_once_in_order_keyed_by_customer_and_without_personal_data(relaying):
    relay = relaying.relay()
    reached = relay.catch_up()
    head = relaying.journey.service.head()
    assert reached == head

    records = read_topic(relaying.bootstrap, relaying.topics.events)
    events = [(r, read_relayed(r)) for r in records]
    published = [(r, rel) for r, rel in events if rel is not None and rel.kind == "event"]
    positions = [rel.position for _, rel in published]
    assert sorted(positions) == [n.id for n in relaying.journey.service.app.recorder.select_notifications(start=1, limit=100_000)]
    assert len(set(positions)) == len(positions) == stream_length(relaying.journey)
    assert len({rel.ce_id for _, rel in published}) == len(published)
    by_customer: dict[bytes, list[int]] = {}
    for record, rel in published:
        assert record.partition == partition_for(record.key.decode(), 3)
        headers = dict(record.headers)
        assert headers["ce_subject"] == record.key
        assert headers["ce_specversion"] == b"1.0"
        by_customer.setdefault(record.key, []).append(rel.position)
        data = json.loads(record.value)
        assert not PERSONAL_FIELDS & data.keys()
        assert "user" not in data["by"]
        assert not [text for text in PERSONAL_TEXTS if text in record.value.decode()]
    assert set(by_customer) == {b"c1", b"c2"}
    assert all(p == sorted(p) for p in by_customer.values())
    # Every partition got a watermark at the head.
    watermarks = {r.partition: rel.position for r, rel in events if rel is not None and rel.kind == "watermark"}
    assert watermarks == dict.fromkeys(range(3), head)


def test_profiles_go_to_the_customers_topic_keyed_by_customer_as_they_change(relaying):
    relaying.relay().catch_up()
    profiles = [(r.key.decode(), json.loads(r.value)) for r in read_topic(relaying.bootstrap, relaying.topics.customers)]
    latest = dict(profiles)
    assert [key for key, _ in profiles].count("c1") == 2  # registered, then the phone changed
    assert latest["c1"]["phone"] == "+49 30 1234"
    assert latest["c1"]["email"] == "c1@example.com"
    assert latest["c2"]["name"] == "Bob"


def test_the_contacts_the_rule_allowed_go_to_the_contacts_topic_and_refused_ones_do_not(relaying):
    journey, marketer = relaying.journey, Principal(Department.MARKETING, user="mia")
    journey.service.execute(c.RegisterCustomer("c9", "Kim", "kim@example.org"), marketer)
    journey.service.execute(c.GiveConsent("c9", Channel.LETTER, Purpose.MARKETING, "store"), marketer)
    made = journey.service.execute(c.ContactCustomer("c9", "K-1", Channel.LETTER, Purpose.MARKETING, "spring"), marketer)
    refused = journey.service.execute(c.ContactCustomer("c9", "K-2", Channel.EMAIL, Purpose.MARKETING, "spring"),
                                      marketer)
    assert made.answer["allowed"] and not refused.answer["allowed"]

    relaying.relay().catch_up()

    [record] = read_topic(relaying.bootstrap, relaying.topics.contacts)
    headers = {k: v.decode() for k, v in record.headers}
    assert record.key == b"c9" and headers["ce_type"] == "journey.contact_book.contact_made"
    assert headers["journey_position"] == str(made.position)
    value = json.loads(record.value)
    assert (value["contact_id"], value["channel"], value["message"]) == ("K-1", "letter", "spring")
    assert value["checked"]["rule"] == "outbound-contact"  # the facts the rule read, none of them personal
    # A withdrawal before the mailing tool took it: the cancellation follows on the same topic.
    journey.service.execute(c.WithdrawConsent("c9", Channel.LETTER, Purpose.MARKETING, "call"), marketer)
    relaying.relay().catch_up()
    made_again, cancelled = read_topic(relaying.bootstrap, relaying.topics.contacts)
    assert made_again.value == record.value
    assert dict(cancelled.headers)["ce_type"] == b"journey.contact_book.contact_cancelled"
    assert json.loads(cancelled.value)["contact_id"] == "K-1"
    assert value["by"] == {"department": "marketing", "source": None, "event_id": None}


def test_a_raffle_which_is_no_customers_is_keyed_by_its_own_id(relaying):
    journey, sales = relaying.journey, Principal(Department.SALES, user="sol")
    journey.service.execute(c.EnrollInLoyalty("c1"), sales)
    journey.service.execute(c.AnnounceRaffle("R-1", "drill", 1, journey.clock.now().date()), sales)
    journey.service.execute(c.DrawRaffle("R-1"), sales)

    relaying.relay().catch_up()

    records = read_topic(relaying.bootstrap, relaying.topics.events)
    raffle = [r for r in records if dict(r.headers).get("ce_type", b"").startswith(b"journey.raffle.")]
    assert [(r.key, dict(r.headers)["ce_type"]) for r in raffle] == [
        (b"raffle:R-1", b"journey.raffle.announced"), (b"raffle:R-1", b"journey.raffle.drawn")]
    assert json.loads(raffle[1].value)["winners"] == ["c1"]


def test_a_crash_before_the_position_is_recorded_resends_only_the_last_batch(relaying):
    relay = relaying.relay(batch_size=10)
    relay.round()
    relay.round()
    recorded = relay.position()
    state = relaying.journey.store

    def crash(name: str, reached: RelayState, expected: int | None = None) -> bool:
        raise RuntimeError("killed before the position was recorded")

    save, state.save_relay_state = state.save_relay_state, crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        relay.round()  # sent and acknowledged, but not recorded
    state.save_relay_state = save  # type: ignore[method-assign]
    assert relay.position() == recorded

    relaying.relay(batch_size=10).catch_up()
    published = [read_relayed(r) for r in read_topic(relaying.bootstrap, relaying.topics.events)]
    counts = Counter(rel.position for rel in published if rel is not None and rel.kind == "event")
    assert set(counts) == {n.id for n in relaying.journey.service.app.recorder.select_notifications(start=1, limit=100_000)}
    doubled = sorted(p for p, n in counts.items() if n > 1)
    assert doubled == list(range(recorded + 1, recorded + 11))  # exactly the unrecorded batch
    assert max(counts.values()) == 2


def test_a_partition_whose_offsets_went_back_makes_the_relay_start_over(relaying):
    relay = relaying.relay(batch_size=100)
    relay.catch_up()
    head = relay.position()
    store = relaying.journey.store
    state = store.relay_state(RELAY)
    # As if the broker had acknowledged far more than it holds now (it lost its log).
    store.save_relay_state(RELAY, RelayState(state.position, state.previous, dict.fromkeys(range(3), 10_000)))
    relay.idle_watermark_seconds = 0  # nothing new: the idle watermarks find the loss
    relay.round()
    assert relay.position() == 0
    assert relay.catch_up() == head


def test_a_second_relay_recording_meanwhile_voids_a_round_instead_of_resetting_or_skipping(relaying):
    first, second = relaying.relay(batch_size=10), relaying.relay(batch_size=10)
    first.round()
    start = first.position()
    store = relaying.journey.store
    save = store.save_relay_state

    def second_relay_records_first(name: str, reached: RelayState, expected: int | None = None) -> bool:
        store.save_relay_state = save  # type: ignore[method-assign]
        second.round()  # it publishes and records the same page meanwhile (a lease lost)
        return save(name, reached, expected)

    store.save_relay_state = second_relay_records_first  # type: ignore[method-assign]
    with pytest.raises(RelayConflictError):
        first.round()
    assert first.position() == start + 10  # the second's record stands; nothing reset, nothing skipped
    assert first.catch_up() == relaying.journey.service.head()
    counts = Counter(r.position for r in map(read_relayed, read_topic(relaying.bootstrap, relaying.topics.events))
                     if r is not None and r.kind == "event")
    assert set(counts) == set(range(1, relaying.journey.service.head() + 1))
    assert max(counts.values()) == 2 and sorted(p for p, n in counts.items() if n == 2) == list(range(start + 1, start + 11))


def test_the_relay_refuses_a_topic_whose_partition_count_changed(relaying):
    relay = relaying.relay(batch_size=10)
    relay.round()
    state = relaying.journey.store.relay_state(RELAY)
    assert state.partitions == 3
    relaying.journey.store.save_relay_state(RELAY, RelayState(state.position, state.previous, state.offsets, 4))
    with pytest.raises(PartitionCountError, match="3 partitions, the relay published to 4"):
        relay.round()
    assert relay.position() == state.position
