"""The hash chain on both databases: written with the events in their transaction, and verify
naming the first position that no longer matches after the database was changed behind the
service's back (sqlite3 / psycopg on the store itself, as an intruder with write access would)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError

from adapters.event_store import conninfo
from domain import commands as c
from domain.holds import DunningPolicy
from services.clock import FixedClock
from services.handlers import Context, handle
from services.unit_of_work import UnitOfWork
from services.verification import Checkpoint, last_report, take_checkpoint, verify
from tests.integration.helpers import SALES, START, customer_with_invoice, eventful_history, open_journey, submission


@pytest.fixture
def journey(database_url):
    journey = open_journey(database_url, FixedClock(START))
    yield journey
    journey.close()


@pytest.fixture
def history(journey):
    """A real history of about 40 events (some stored in one append), written through the service."""
    eventful_history(journey, journey.clock)
    return journey


@contextlib.contextmanager
def intruder(journey) -> Iterator[Any]:
    """A connection of our own to the event store's database, committed on leaving."""
    if journey.location.is_postgres:
        with psycopg.connect(conninfo(journey.location, "intruder")) as connection:
            yield connection
    else:
        connection = sqlite3.connect(journey.location.env["SQLITE_DBNAME"])
        try:
            with connection:
                yield connection
        finally:
            connection.close()


def tamper(journey, statement: str, *params: Any) -> None:
    """Run ``statement`` with ``{events}``, ``{position}``, ``{chain}`` and ``?`` filled in."""
    recorder = journey.service.app.recorder
    sql = statement.format(events=recorder._events_table(), position=recorder.position_column,
                           chain=recorder.chain_table).replace("?", recorder.mark)
    with intruder(journey) as connection:
        connection.execute(sql, params)


def chain_check(journey, checkpoint: Checkpoint | None = None):
    report = verify(journey, checkpoint)
    return report, report.checks[0]


def test_an_untouched_history_verifies_and_every_event_is_chained_at_its_position(history):
    recorder = history.service.app.recorder
    head = history.service.head()

    report, chain = chain_check(history)

    assert report.ok and report.first_bad_position is None
    assert chain.checked == head and head > 30
    assert [p for p, _ in recorder.chain_links(0, head)] == [p for p, _ in recorder.canonical_events(0, head)]
    assert recorder.chain_head().position == head
    assert last_report(history).to_dict() == report.to_dict()


def test_an_altered_event_fails_verify_at_its_position(history):
    tamper(history, "UPDATE {events} SET state = ? WHERE {position} = ?", b'{"amount": "1.00"}', 17)

    report, chain = chain_check(history)

    assert not report.ok and report.first_bad_position == 17
    assert chain.details[0].startswith("position 17: the stored event differs")


def test_a_deleted_event_fails_verify_at_its_position(history):
    tamper(history, "DELETE FROM {events} WHERE {position} = ?", 23)

    report, chain = chain_check(history)

    assert report.first_bad_position == 23 and "missing (deleted)" in chain.details[0]
    assert len(chain.details) == 1  # the events after it still chain


def test_an_inserted_event_fails_verify_at_its_position(history):
    head = history.service.head()
    tamper(history, "INSERT INTO {events} (originator_id, originator_version, topic, state) "
                    "SELECT originator_id, 99, topic, state FROM {events} WHERE {position} = ?", 5)

    report, chain = chain_check(history)

    assert report.first_bad_position == head + 1 and "without a chain hash" in chain.details[0]


def test_an_altered_chain_hash_fails_verify_at_its_position(history):
    tamper(history, "UPDATE {chain} SET hash = ? WHERE position = ?", bytes(32), 9)

    report, chain = chain_check(history)

    assert report.first_bad_position == 9 and "chain's hash was altered" in chain.details[0]
    assert len(chain.details) == 1


def test_a_deleted_chain_hash_fails_verify_at_its_position(history):
    tamper(history, "DELETE FROM {chain} WHERE position = ?", 12)

    assert chain_check(history)[0].first_bad_position == 12


def test_a_checkpoint_still_verifies_after_more_writes_and_fails_after_an_earlier_alteration(history):
    # 1. A checkpoint in the middle of the history; more writes after it.
    point = take_checkpoint(history)
    customer_with_invoice(history, "c9", "o9", "i9")
    assert history.service.head() == point.position + 3
    # 2. The stream still extends it.
    report = verify(history, point)
    assert report.ok and [check.name for check in report.checks] == ["hash chain", "checkpoint", "views", "decisions"]
    # 3. The intruder changes an event before it and rewrites the whole chain after it: the chain
    #    alone then holds, the checkpoint does not.
    tamper(history, "UPDATE {events} SET state = ? WHERE {position} = ?", b"{}", 4)
    recorder = history.service.app.recorder
    tamper(history, "DELETE FROM {chain}")
    recorder.seal_chain()
    report = verify(history, point)
    assert report.checks[0].ok and not report.checks[1].ok
    assert report.first_bad_position == point.position


def test_a_failed_append_leaves_no_chain_hash_and_the_next_write_extends_the_chain(journey):
    app = journey.service.app
    uow = UnitOfWork(app, app.recorder)
    handle(c.RegisterCustomer("c1", "Ann", "a@example.org"), uow, Context(START, SALES, DunningPolicy()))
    app.events.put(uow.events)
    with pytest.raises(IntegrityError):  # the same events again: the append conflicts, nothing stays
        app.events.put(uow.events)
    # many events in one append: each position's hash is the hash of the event stored there
    customer_with_invoice(journey, "c2", "o2", "i2")
    journey.service.ingest([submission(f"s-{n}", c.RegisterCustomer(f"b{n}", "Bo", "b@example.org"))
                            for n in range(30)])

    report, chain = chain_check(journey)

    assert report.ok and chain.checked == 34  # PostgreSQL: the failed append left a gap in the positions
    assert app.recorder.chain_head().position == journey.service.head()


def test_a_store_written_before_the_chain_is_reported_until_it_is_sealed(journey):
    # 1. A store whose events were stored before the chain existed.
    customer_with_invoice(journey)
    tamper(journey, "DELETE FROM {chain}")
    journey.service.app.recorder._lagging_said = False
    # 2. Verify says so; new events are not chained until the seal.
    customer_with_invoice(journey, "c2", "o2", "i2")
    report, chain = chain_check(journey)
    assert report.first_bad_position == 1
    assert chain.details[0].startswith("positions 1..6: an event without a chain hash")
    assert "journey chain --seal" in chain.details[-1]
    with pytest.raises(ValueError, match="chain --seal"):
        take_checkpoint(journey)
    # 3. Sealed once, the store verifies and new events are chained again.
    assert journey.service.app.recorder.seal_chain(page=4) == 6
    customer_with_invoice(journey, "c3", "o3", "i3")
    assert verify(journey).ok
    assert journey.service.app.recorder.chain_head().position == 9 == journey.service.head()
