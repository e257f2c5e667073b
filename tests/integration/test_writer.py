"""The group writer: requests that arrive while a transaction commits are stored together, each
answered on its own; the writer lock makes processes queue, and its wait is bounded."""

from __future__ import annotations

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


def test_requests_queued_during_a_commit_are_stored_in_one_transaction_each_with_its_answer(pair):
    journey, other = pair
    service = journey.service
    head, groups = service.head(), service.writer.groups
    # 1. while another process holds the writer lock, twenty requests queue up in this one
    with other.service.writer.lock.held():
        futures = [service._ingest([submission(f"p-{n}", c.ReceivePayment("c1", "i1", eur(1)))]) for n in range(10)]
        futures.append(service._command(c.ReceivePayment("c1", "no-such-invoice", eur(1)), BILLING, None))
        futures += [service._ingest([submission(f"q-{n}", c.ReceivePayment("c1", "i1", eur(1)))]) for n in range(9)]
    # 2. once it is released, they are stored together
    answers = [f.exception(timeout=30) or f.result() for f in futures]

    # 3. each got its own position, in the order they came; the broken rule rejected only its own
    assert isinstance(answers[10], UnknownError)
    positions = [a[0].position for a in answers[:10] + answers[11:]]
    assert positions == list(range(head + 1, head + 20))
    assert service.writer.groups == groups + 1
    assert service.app.repository.get(Invoice.create_id("i1")).paid == eur(19)


def test_a_writer_waits_for_the_lock_a_bounded_time_then_fails_without_storing(pair):
    journey, other = pair
    head = journey.service.head()
    with journey.service.writer.lock.held():
        with pytest.raises(OperationalError, match="writer lock"):
            other.service.ingest([submission("p-1", c.ReceivePayment("c1", "i1", eur(1)))])
    assert journey.service.head() == head
    [stored] = other.service.ingest([submission("p-1", c.ReceivePayment("c1", "i1", eur(1)))])
    assert stored.position == head + 1
