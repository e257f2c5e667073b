"""Erasure on Kafka: the relay deletes the erased person's profile from the compacted customers
topic (a tombstone: the customer id as key, no value), and republishing the stream from the
start shows the person erased, never their data."""

from __future__ import annotations

import json
import uuid

import pytest

from adapters.kafka_events import StreamProducer
from adapters.kafka_touchpoints import COMPACTED, ensure_topics
from domain.personal import ERASED
from domain.values import Department, Principal
from services.clock import FixedClock
from services.privacy import Privacy
from services.relay import Relay, Topics
from services.settings import kafka_options
from tests.integration.erasure_helpers import ZELDA, secrets, zelda_history
from tests.integration.helpers import START, open_journey
from tests.support.kafka import read_topic

pytestmark = pytest.mark.kafka


def test_erasure_deletes_the_profile_from_the_customers_topic(kafka_bootstrap, sqlite_url):
    suffix = uuid.uuid4().hex[:8]
    topics = Topics(f"events-{suffix}", f"customers-{suffix}")
    clock = FixedClock(START)
    journey = open_journey(sqlite_url, clock, kafka_bootstrap=kafka_bootstrap)
    try:
        options = kafka_options(journey.settings)
        ensure_topics(options, {topics.events: 3})
        ensure_topics(options, {topics.customers: 3}, configs=COMPACTED)
        zelda_history(journey, clock)

        def relay() -> Relay:
            return Relay(journey.service.app, journey.store, StreamProducer(options), topics, idle_watermark_seconds=3600)

        relay().catch_up()
        Privacy(journey).erase("z1", Principal(Department.PRIVACY))
        relay().catch_up()

        zelda = [r for r in read_topic(kafka_bootstrap, topics.customers) if r.key == b"z1"]
        assert ZELDA["name"] in json.loads(zelda[0].value)["name"]  # published before the erasure
        assert zelda[-1].value is None  # the tombstone: compaction deletes the profile

        # 2. Published again from the start (a broker that lost its log): the person is erased.
        republished = Topics(f"events-again-{suffix}", f"customers-again-{suffix}")
        ensure_topics(options, {republished.events: 3})
        ensure_topics(options, {republished.customers: 3}, configs=COMPACTED)
        again_relay = Relay(journey.service.app, journey.store, StreamProducer(options), republished,
                            idle_watermark_seconds=3600)
        again_relay.catch_up()  # finds the new topics empty: starts over from position 0
        again_relay.catch_up()
        again = [r for r in read_topic(kafka_bootstrap, republished.customers) if r.key == b"z1"]
        assert json.loads(again[0].value)["name"] == ERASED
        assert again[-1].value is None
        everything = b"".join((r.value or b"") for t in (republished.events, republished.customers)
                              for r in read_topic(kafka_bootstrap, t))
        assert [s for s in secrets(ZELDA) if s in everything] == []
    finally:
        journey.close()
