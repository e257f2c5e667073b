"""The recorder's side tables and append condition, pinned on both databases: keys and links
commit or roll back with their events, in one transaction (adapters/write_store.py relies on the
library calling ``_insert_events`` inside the append's transaction)."""

from __future__ import annotations

from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError

from adapters.write_store import HeadMovedError, KeyRecord, Link
from domain import commands as c
from domain.holds import DunningPolicy
from services.handlers import Context, handle
from services.unit_of_work import UnitOfWork
from tests.integration.helpers import SALES, START, eur, lines, open_journey


@pytest.fixture
def journey(database_url):
    journey = open_journey(database_url)
    yield journey
    journey.close()


def pending(journey, *commands):
    """A unit of work holding ``commands``' events, not yet stored."""
    uow = UnitOfWork(journey.service.app, journey.service.app.recorder)
    for command in commands:
        handle(command, uow, Context(START, SALES, DunningPolicy()))
    return uow


def test_keys_and_links_are_stored_with_their_events_and_read_back_with_the_position(journey):
    app = journey.service.app
    uow = pending(journey, c.RegisterCustomer("c1", "Ann", "a@example.org"),
                  c.PlaceOrder("c1", "o1", lines("books"), "EUR"),
                  c.IssueInvoice("c1", "i1", "o1", eur(10), date(2024, 2, 1)))
    last = uow.events[-1]

    app.events.put(uow.events, expected_head=0, links=uow.links,
                   keys=[KeyRecord("command", "k1", "d1", last.originator_id, last.originator_version, '{"a": 1}')])

    [stored] = app.recorder.stored_keys("command", ["k1", "k2"]).values()
    assert (stored.digest, stored.result, stored.position) == ("d1", '{"a": 1}', 3)
    assert app.recorder.members("order-invoice", "o1") == ["i1"]


def test_a_key_stored_before_makes_the_whole_append_fail_and_stores_nothing(journey):
    app = journey.service.app
    first = pending(journey, c.RegisterCustomer("c1", "Ann", "a@example.org"))
    event = first.events[-1]
    app.events.put(first.events, keys=[KeyRecord("cloudevent:shop", "e1", "d", event.originator_id, 1)])
    second = pending(journey, c.RegisterCustomer("c2", "Bo", "b@example.org"))

    with pytest.raises(IntegrityError):
        app.events.put(second.events, links=[Link("order-invoice", "o9", "i9")],
                       keys=[KeyRecord("cloudevent:shop", "e1", "d", second.events[-1].originator_id, 1)])

    assert journey.service.head() == 1
    assert app.recorder.members("order-invoice", "o9") == []


def test_an_append_decided_against_an_old_head_stores_nothing(journey):
    app = journey.service.app
    app.events.put(pending(journey, c.RegisterCustomer("c1", "Ann", "a@example.org")).events)
    late = pending(journey, c.RegisterCustomer("c2", "Bo", "b@example.org"))

    with pytest.raises(HeadMovedError):
        app.events.put(late.events, expected_head=0,
                       keys=[KeyRecord("command", "k", "d", late.events[-1].originator_id, 1)])

    assert journey.service.head() == 1
    assert app.recorder.stored_keys("command", ["k"]) == {}
    app.events.put(late.events, expected_head=1)
    assert journey.service.head() == 2


def test_an_event_conflict_stores_neither_keys_nor_links(journey):
    app = journey.service.app
    uow = pending(journey, c.RegisterCustomer("c1", "Ann", "a@example.org"))
    app.events.put(uow.events)

    with pytest.raises(IntegrityError):
        app.events.put(uow.events, links=[Link("order-complaint", "o1", "k1")],
                       keys=[KeyRecord("command", "k", "d", uow.events[-1].originator_id, 1)])

    assert app.recorder.members("order-complaint", "o1") == []
    assert app.recorder.stored_keys("command", ["k"]) == {}
