"""The outbound message format of journey.events: CloudEvent attributes, no personal data,
Kafka's default partitioning, and the position headers a consumer reads back."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from eventsourcing.domain import DomainEvent
from kafka.partitioner.default import DefaultPartitioner

from adapters.kafka_binding import KafkaRecord
from adapters.kafka_events import (
    ce_type,
    event_message,
    partition_for,
    profile_message,
    read_relayed,
    watermark_message,
)
from domain import complaint, customer, invoice, order
from domain.customer import Customer
from domain.personal import ENVELOPE_FIELDS, NOT_PERSONAL_FIELDS, PERSONAL_FIELDS
from domain.values import Department, Money, Principal

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)
SAM = Principal(Department.SUPPORT, user="sam")


def stored_event_types() -> list[type]:
    found = []
    for module in (customer, invoice, order, complaint):
        for aggregate in vars(module).values():
            if isinstance(aggregate, type) and aggregate.__module__ == module.__name__:
                found += [
                    cls for name, cls in vars(aggregate).items()
                    if isinstance(cls, type) and issubclass(cls, DomainEvent) and name not in {"Event", "Created", "Snapshot"}
                ]
    return found


def test_every_field_of_every_event_is_classified_as_personal_or_not():
    types = stored_event_types()
    assert len(types) > 20
    unclassified = {
        f"{cls.__qualname__}.{field.name}"
        for cls in types
        for field in dataclasses.fields(cls)
        if field.name not in PERSONAL_FIELDS | NOT_PERSONAL_FIELDS | ENVELOPE_FIELDS
    }
    assert not unclassified, "classify these fields in domain/personal.py"
    assert not PERSONAL_FIELDS & NOT_PERSONAL_FIELDS


def test_an_event_becomes_a_binary_cloudevent_without_personal_data():
    registered = Customer(customer_id="c1", name="Ann Muster", email="ann@example.org", birthday=date(1980, 5, 1),
                          at=AT, by=SAM, phone="+49 30 1", address="Hauptstr. 1").collect_events()[0]
    message = event_message("journey.events", registered, 42, "c1", 3, 17)
    headers = dict(message.headers)
    assert (message.topic, message.partition, message.key) == ("journey.events", 3, b"c1")
    assert headers["ce_type"] == b"journey.customer.registered"
    assert headers["ce_id"] == f"{registered.originator_id.hex}.1".encode()
    assert (headers["ce_subject"], headers["ce_source"], headers["ce_specversion"]) == (b"c1", b"/journey", b"1.0")
    assert (headers["journey_position"], headers["journey_previous"]) == (b"42", b"17")
    data = json.loads(message.value)
    assert data == {"customer_id": "c1", "at": AT.isoformat(),
                    "by": {"department": "support", "source": None, "event_id": None}}
    for text in ("Ann", "ann@example.org", "1980", "+49", "Hauptstr", "sam"):
        assert text.encode() not in message.value


def test_amounts_keep_their_currency_exponent():
    issued = invoice.Invoice(customer_id="c1", invoice_id="i1", order_id="o1", amount=Money(Decimal("100"), "EUR"),
                             due_date=date(2026, 3, 15), at=AT, by=SAM).collect_events()[0]
    data = json.loads(event_message("t", issued, 1, "c1", 0, 0).value)
    assert data["amount"] == {"amount": "100.00", "currency": "EUR"}
    assert ce_type(issued) == "journey.invoice.issued"


class _Cluster:
    """The part of the client's cluster metadata the partitioner asks: one topic, ``count``
    partitions, all available."""

    def __init__(self, count: int) -> None:
        self.count = count

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.count))

    available_partitions_for_topic = partitions_for_topic


def test_the_partition_is_the_one_kafkas_default_partitioner_picks():
    partitioner = DefaultPartitioner()
    picked = set()
    for key in ("c1", "hw-1001", "customer-0042", "ü-key", "c2", "c3"):
        for count in (1, 3, 6, 12):
            expected = partitioner.partition("t", key, key.encode(), None, None, _Cluster(count))
            assert partition_for(key, count) == expected
            picked.add(expected)
    assert len(picked) > 3  # the keys really spread


def test_a_consumer_reads_the_position_headers_back():
    watermark = watermark_message("t", 99, 2, 97)
    record = KafkaRecord("t", 2, 7, watermark.key, watermark.value, watermark.headers)
    relayed = read_relayed(record)
    assert relayed is not None
    assert (relayed.kind, relayed.position, relayed.previous) == ("watermark", 99, 97)
    assert json.loads(watermark.value) == {"position": 99}
    assert read_relayed(KafkaRecord("t", 0, 0, b"k", b"x", (("journey_position", b"oops"),))) is None
    assert read_relayed(KafkaRecord("t", 0, 0, b"k", b"x", ())) is None


def test_a_profile_or_its_tombstone_for_the_compacted_topic():
    profile = profile_message("customers", "c1", {"name": "Ann", "birthday": date(1980, 5, 1)}, 5, 1)
    assert (profile.key, json.loads(profile.value)) == (b"c1", {"name": "Ann", "birthday": "1980-05-01"})
    assert profile_message("customers", "c1", None, 6, 1).value is None

