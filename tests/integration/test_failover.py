"""Writes survive every connection being dropped (a failover): the pooled connections and the
writer lock's are replaced, and no write fails for it. PostgreSQL only."""

from __future__ import annotations

import psycopg
import pytest

from domain import commands as c
from tests.integration.helpers import SALES, customer_with_invoice, eur, open_journey, submission

pytestmark = pytest.mark.postgres


def drop_every_connection(url: str) -> int:
    """Terminate every other session on the database of ``url``, as a failover would."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def test_writes_go_on_after_every_connection_was_dropped(postgres_url):
    journey = open_journey(postgres_url)
    try:
        customer_with_invoice(journey)
        assert drop_every_connection(postgres_url) >= 2  # the pool's and the writer lock's

        # the next writes, a command and a CloudEvent, are stored without an error
        written = journey.service.execute(c.RequestDetailedInvoice("c1", "i1", "itemise"), SALES)
        [accepted] = journey.service.ingest([submission("p-1", c.ReceivePayment("c1", "i1", eur(5)))])

        assert accepted.position == written.position + 1 == journey.service.head()
        assert drop_every_connection(postgres_url) >= 1
        [again] = journey.service.ingest([submission("p-1", c.ReceivePayment("c1", "i1", eur(5)))])
        assert (again.position, again.duplicate) == (accepted.position, True)
    finally:
        journey.close()
