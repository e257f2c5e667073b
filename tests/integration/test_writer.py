"""The group writer: requests that arrive while a transaction commits are stored together, each
answered on its own; the writer lock makes processes queue, and its wait is bounded."""

from __future__ import annotations

import time
from datetime import date

import pytest
from eventsourcing.persistence import OperationalError

from domain import commands as c
from domain.errors import UnknownError
from domain.invoice import Invoice
from tests.integration.helpers import BILLING, customer_with_invoice, eur, open_journey, submission


@pytest.fixture
def pair(database_url):
    """Two journeys (as two processes) on one store; the first has invoice i1 of 100 EUR."""
    first, second = open_journey(database_url), open_journey(database_url, writer_lock_timeout=0.5)
    customer_with_invoice(first)
    yield first, second
    first.close()
    second.close()


def wait_until_taken(service) -> None:
    """Until the writer has taken every queued request (it is then waiting for the lock)."""
    deadline = time.monotonic() + 10
    while not service.writer._queue.empty():
        assert time.monotonic() < deadline, "the writer did not take the request"
        time.sleep(0.001)


def payment(event_id: str) -> list:
    return [submission(event_id, c.ReceivePayment("c1", "i1", eur(1)))]


def test_requests_queued_during_a_commit_are_stored_in_one_transaction_each_with_its_answer(pair):
    journey, other = pair
    service = journey.service
    head, groups = service.head(), service.writer.groups
    # 1. while another process holds the writer lock, this writer takes a first request and
    #    waits; twenty more requests queue up behind it, one of them breaking a rule
    with other.service.writer.lock.held():
        first = service._ingest(payment("first"))
        wait_until_taken(service)
        futures = [service._ingest(payment(f"p-{n}")) for n in range(10)]
        futures.append(service._command(c.ReceivePayment("c1", "no-such-invoice", eur(1)), BILLING, None))
        futures += [service._ingest(payment(f"q-{n}")) for n in range(9)]
    # 2. once the lock is released, the writer takes it and adds all that queued meanwhile
    assert first.result(timeout=30)[0].position == head + 1
    answers = [f.exception(timeout=30) or f.result() for f in futures]

    # 3. each got its own position, in the order they came; the broken rule rejected only its own
    assert isinstance(answers[10], UnknownError)
    positions = [a[0].position for a in answers[:10] + answers[11:]]
    assert positions == list(range(head + 2, head + 21))
    assert service.writer.groups == groups + 1  # one transaction for all twenty-one
    assert service.app.repository.get(Invoice.create_id("i1")).paid == eur(20)


def test_a_request_given_up_before_the_writer_took_it_is_not_stored(pair):
    journey, other = pair
    service = journey.service
    head = service.head()
    with other.service.writer.lock.held():
        service._ingest(payment("first"))
        wait_until_taken(service)
        abandoned = service._ingest(payment("abandoned"))
        kept = service._ingest(payment("kept"))
        assert abandoned.cancel()  # its client timed out while it was queued

    assert kept.result(timeout=30)[0].position == head + 2
    assert service.head() == head + 2
    assert service.app.repository.get(Invoice.create_id("i1")).paid == eur(2)


def test_a_command_whose_commit_was_not_acknowledged_is_answered_once_not_applied_twice(pair, monkeypatch):
    journey, _ = pair
    service = journey.service
    head = service.head()
    put = service.app.events.put
    lost = []

    def put_then_lose_the_acknowledgement(events, **kwargs):
        recordings = put(events, **kwargs)
        if not lost:
            lost.append(True)
            raise OperationalError("server closed the connection during COMMIT")
        return recordings

    monkeypatch.setattr(service.app.events, "put", put_then_lose_the_acknowledgement)

    # a command without an Idempotency-Key: stored, its acknowledgement lost, the group retried
    written = service.execute(c.GrantDeferral("c1", "i1", date(2024, 1, 20), "salary"), BILLING)

    assert lost and written.position == head + 1 == service.head()
    assert not written.duplicate  # the client sent it once; it is answered once
    assert len(service.app.repository.get(Invoice.create_id("i1")).deferrals) == 1


def test_a_writer_waits_for_the_lock_a_bounded_time_then_fails_without_storing(pair):
    journey, other = pair
    head = journey.service.head()
    with journey.service.writer.lock.held():
        with pytest.raises(OperationalError, match="writer lock"):
            other.service.ingest([submission("p-1", c.ReceivePayment("c1", "i1", eur(1)))])
    assert journey.service.head() == head
    [stored] = other.service.ingest([submission("p-1", c.ReceivePayment("c1", "i1", eur(1)))])
    assert stored.position == head + 1
