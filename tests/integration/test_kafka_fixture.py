"""The test broker speaks the Kafka protocol: a keyed message with headers goes in and comes out."""

import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from tests.support.kafka import FAST_GROUP

pytestmark = pytest.mark.kafka


def test_a_keyed_message_produced_to_the_broker_is_consumed_with_its_key_and_headers(kafka_bootstrap):
    topic = f"fixture-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True)
    producer.send(topic, key=b"hw-1001", value=b'{"hello":"kafka"}', headers=[("ce_id", b"1")]).get(timeout=10)
    producer.close()

    consumer = KafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, group_id=f"g-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=15_000, **FAST_GROUP,
    )
    try:
        message = next(iter(consumer))
    finally:
        consumer.close()

    assert (message.key, message.value, message.headers) == (b"hw-1001", b'{"hello":"kafka"}', [("ce_id", b"1")])
