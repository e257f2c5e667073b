"""The live projector: woken by writes of any process, batched like catch-up, and supervised
(it backs off on any error and resumes from its tracked position; it never stays dead)."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
import pytest

from domain import commands as c
from services.bootstrap import Journey
from services.health import readiness
from services.projector import ProjectorThread
from tests.integration.helpers import (
    BILLING,
    customer_with_invoice,
    eur,
    hide_table,
    open_journey,
    submission,
)
from tests.support.postgres import restartable_server


def eventually(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds, within a generous bound (never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached within the bound"
        time.sleep(0.02)


def state(journey: Journey) -> tuple[str, int]:
    assert journey.thread is not None
    return journey.thread.state.status, journey.thread.state.failures


def rename_documents(journey: Journey, away: bool) -> None:
    """Take the views' documents table away (or bring it back): every projection fails."""
    hide_table(journey, "docs", away)


class CountingStore:
    """The journey's read store, remembering how many events each projection was given."""

    def __init__(self, store) -> None:  # noqa: ANN001
        self.store = store
        self.sizes: list[int] = []

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.store, name)

    def project(self, application_name, events, fold, position=None):  # noqa: ANN001, ANN201
        self.sizes.append(len(events))
        return self.store.project(application_name, events, fold, position)


def test_the_projector_backs_off_on_any_error_and_resumes_from_its_position(database_url):
    journey = open_journey(database_url, read_wait_seconds=60)
    try:
        journey.start_projecting()
        customer_with_invoice(journey)
        journey.reads.wait_for(journey.service.head())
        # 1. The documents table goes away: every round fails, the thread backs off.
        rename_documents(journey, away=True)
        paid = journey.service.execute(c.ReceivePayment("c1", "i1", eur(30)), BILLING)
        eventually(lambda: state(journey)[0] == "backing-off" and state(journey)[1] >= 2)
        assert "documents" in (journey.thread.state.last_error or "")  # type: ignore[union-attr]
        assert journey.reads.position() < paid.position
        # 2. It comes back: the thread resumes from its tracked position, nothing is lost.
        rename_documents(journey, away=False)
        journey.reads.wait_for(paid.position)
        assert journey.reads.billing("c1")["open_balance"] == {"EUR": "70.00"}
        eventually(lambda: state(journey) == ("running", 0))
        assert journey.thread.state.last_success is not None  # type: ignore[union-attr]
    finally:
        journey.close()


def test_a_burst_written_while_following_live_is_projected_in_pages(database_url):
    journey = open_journey(database_url, read_wait_seconds=60, projector_batch_size=500)
    writer = open_journey(database_url)  # another process
    counting = CountingStore(journey.store)
    journey.projector.store = counting  # type: ignore[assignment]
    try:
        journey.start_projecting()
        writer.service.ingest([submission("r1", c.RegisterCustomer("c1", "Ann", "ann@example.org"))])
        journey.reads.wait_for(writer.service.head())
        counting.sizes.clear()

        writer.service.ingest([
            submission(f"t{n}", c.ChangeContactDetails("c1", phone=f"+49 30 {n:04d}")) for n in range(1200)
        ])
        journey.reads.wait_for(writer.service.head())

        projected = [size for size in counting.sizes if size]
        assert sum(projected) == 1200  # the receipts are read but not decoded
        assert len(projected) <= 5  # 2400 positions in pages of 500, not one event at a time
    finally:
        writer.close()
        journey.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_writes_of_another_process_wake_the_projector_through_notify(database_url):
    # Polling once an hour: only the store's NOTIFY can wake the projector in time.
    journey = open_journey(database_url, read_wait_seconds=60, projector_poll_seconds=3600)
    writer = open_journey(database_url)
    try:
        journey.start_projecting()
        for n in range(3):
            customer_with_invoice(writer, f"c{n}", f"o{n}", f"i{n}")
            journey.reads.wait_for(writer.service.head())
        assert [i["invoice_id"] for i in journey.reads.billing("c2")["invoices"]] == ["i2"]
    finally:
        writer.close()
        journey.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_projector_survives_every_connection_being_killed_and_catches_up(database_url):
    journey = open_journey(database_url, read_wait_seconds=120, projector_poll_seconds=3600)
    try:
        journey.start_projecting()
        customer_with_invoice(journey)
        journey.reads.wait_for(journey.service.head())
        # 1. Every connection to the database is dropped, as in a failover.
        with psycopg.connect(database_url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert killed is not None and killed[0] >= 2  # at least the pools and the listener
        # 2. Another process writes and reads (this one's pools may still hold dead connections:
        #    a read here could fail once per dead connection, which is not what is tested);
        #    this process's projector and its listener come back and project the write.
        other = open_journey(database_url)
        try:
            written = other.service.execute(c.ReceivePayment("c1", "i1", eur(25)), BILLING)
            eventually(lambda: other.reads.position() >= written.position, timeout=120)
            assert other.reads.billing("c1")["open_balance"] == {"EUR": "75.00"}
        finally:
            other.close()
    finally:
        journey.close()


def test_a_stopped_projector_says_so(database_url):
    journey = open_journey(database_url)
    try:
        thread = ProjectorThread(journey.projector, journey.location).start()
        thread.stop()
        assert thread.state.status == "stopped"
    finally:
        journey.close()


@pytest.fixture
def restartable():
    """A PostgreSQL cluster of the test's own, with a function that restarts it."""
    try:
        with restartable_server() as cluster:
            yield cluster
    except LookupError as missing:
        pytest.skip(str(missing))


@pytest.mark.postgres
def test_writes_and_the_projector_go_on_after_the_server_restarted(restartable):
    url, restart = restartable
    journey = open_journey(url, read_wait_seconds=60)
    try:
        journey.start_projecting()
        customer_with_invoice(journey)
        journey.reads.wait_for(journey.service.head())
        # 1. the server restarts: every connection of the pool, the writer lock and the
        #    projector's listener is dropped, and the server is gone for a moment
        restart()
        # 2. the next write is stored (the writer retries), the projector comes back and
        #    projects it, and readiness says ready again
        written = journey.service.execute(c.ReceivePayment("c1", "i1", eur(25)), BILLING)
        eventually(lambda: journey.reads.position() >= written.position, timeout=60)
        eventually(lambda: readiness(journey)[0], timeout=30)
        assert journey.reads.billing("c1")["open_balance"] == {"EUR": "75.00"}
    finally:
        journey.close()
