"""The Customer aggregate through its public methods."""

from __future__ import annotations

from datetime import date

import pytest

from domain.customer import Customer
from domain.errors import DomainError
from domain.values import aggregate_id
from tests.unit.builders import AT, SHOP, SUE, names, on, register_customer, round_trip


@pytest.fixture
def customer() -> Customer:
    customer = register_customer()
    customer.collect_events()
    return customer


def test_registering_records_the_customer():
    customer = register_customer()

    [registered] = customer.collect_events()
    assert type(registered).__qualname__ == "Customer.Registered"
    assert (registered.customer_id, registered.name, registered.email) == (
        "C-1", "Ada Lovelace", "ada@example.org"
    )
    assert registered.birthday == date(1990, 12, 10)
    assert (registered.at, registered.by) == (AT, SHOP)
    assert (customer.phone, customer.address) == (None, None)
    assert customer.id == aggregate_id("customer", "C-1") == Customer.create_id("C-1")


def test_changing_contact_details_changes_only_those_given(customer):
    customer.change_contact_details(email=None, phone="+44 20 7946 0000", address=None, at=AT, by=SUE)
    customer.change_contact_details(
        email="ada@analytical.example", phone=None, address="12 St James's Sq", at=AT, by=SUE
    )

    events = customer.collect_events()
    assert names(events) == ["Customer.ContactDetailsChanged"] * 2
    assert (events[0].email, events[0].phone, events[0].address) == (None, "+44 20 7946 0000", None)
    assert (customer.email, customer.phone, customer.address) == (
        "ada@analytical.example", "+44 20 7946 0000", "12 St James's Sq"
    )
    assert all(e.by == SUE and e.at == AT for e in events)


def test_a_change_without_any_contact_detail_is_refused(customer):
    with pytest.raises(DomainError, match="no contact detail to change"):
        customer.change_contact_details(email=None, phone=None, address=None, at=AT, by=SUE)

    assert customer.collect_events() == []
    assert customer.email == "ada@example.org"


def test_a_customer_without_a_birthday_can_be_registered():
    customer = Customer(
        customer_id="C-2", name="Bo", email="bo@example.org", birthday=None, at=AT, by=SHOP
    )

    assert customer.birthday is None


def test_a_customer_read_back_from_its_events_equals_the_original():
    original = register_customer()
    original.change_contact_details(email=None, phone="+1 555", address=None, at=on(date(2026, 3, 2)), by=SUE)

    restored, sent, stored = round_trip(original)

    assert vars(restored) == vars(original)
    assert stored == sent
    assert type(restored.birthday) is date and restored.birthday == date(1990, 12, 10)
    assert stored[0].by == SHOP and stored[0].by.source == "shop"


def test_registration_carries_phone_and_postal_address():
    customer = Customer(
        customer_id="C-2", name="Bo", email="bo@example.org", birthday=None, phone="+49 30 1234567",
        address="Hauptstr. 1\n10115 Berlin", at=AT, by=SHOP,
    )

    reconstructed, _, [stored] = round_trip(customer)
    assert (stored.phone, stored.address) == ("+49 30 1234567", "Hauptstr. 1\n10115 Berlin")
    assert (reconstructed.phone, reconstructed.address) == ("+49 30 1234567", "Hauptstr. 1\n10115 Berlin")


def test_a_registration_stored_before_phone_and_address_existed_still_reads():
    """Version 1 of Customer.Registered had neither phone nor address: it is upcast on read."""
    import json

    from services.journey import JourneyApplication

    app = JourneyApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    [registered] = register_customer().collect_events()
    stored = app.mapper.to_stored_event(registered)
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["phone"], state["address"]
    old = type(stored)(stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode())

    event = app.mapper.to_domain_event(old)
    assert (event.name, event.phone, event.address) == ("Ada Lovelace", None, None)
