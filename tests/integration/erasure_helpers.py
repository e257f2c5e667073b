"""What the erasure tests share: a customer whose personal data is easy to find in bytes, and
scanners of every table and every database file of a journey's stores for it."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg

from domain import commands as c
from domain.errors import DomainError
from services.bootstrap import Journey
from services.clock import FixedClock
from tests.integration.helpers import SALES, SUPPORT, eur, lines

#: The person to erase, and what of them must disappear: each string occurs nowhere else.
ZELDA = {
    "name": "Zelda Quackenbush",
    "email": "zelda.quackenbush@example.org",
    "phone": "+49 30 7771 2345",
    "address": "Quittengasse 17, 1010 Wien",
    "new_email": "zq-renamed@example.org",
    "complaint": "the zebra-striped kettle hisses",
    "answer": "a quieter kettle is on its way",
    "deferral": "awaiting the quarterly royalty cheque",
    "dispute": "the quince press was never delivered",
    "note": "itemise the quince press please",
}
#: The billing clerk acting on both customers: named on each one's events under their own key.
CLERK = "bernadette-billing-clerk"
#: Another customer, who must stay as they were.
OSKAR = {"name": "Oskar Untouched", "email": "oskar.untouched@example.org"}


def zelda_history(journey: Journey, clock: FixedClock) -> None:
    """Zelda (customer z1) and Oskar (o-cust) with orders, invoices, a complaint, a promise, a
    dispute, a payment and a dunning step; Zelda's invoice zi1 is left under an open dispute."""
    run = journey.service.execute
    from domain.values import Department, Principal

    clerk = Principal(Department.BILLING, user=CLERK)
    run(c.RegisterCustomer("z1", ZELDA["name"], ZELDA["email"], date(1980, 5, 17), ZELDA["phone"], ZELDA["address"]),
        SALES)
    run(c.RegisterCustomer("o-cust", OSKAR["name"], OSKAR["email"]), SALES)
    run(c.ChangeContactDetails("z1", email=ZELDA["new_email"]), SALES)
    for customer, order, invoice, amount in (("z1", "zo1", "zi1", "120"), ("z1", "zo2", "zi2", "60"),
                                             ("o-cust", "oo1", "oi1", "75")):
        run(c.PlaceOrder(customer, order, lines("kitchen"), "EUR"), SALES)
        run(c.IssueInvoice(customer, invoice, order, eur(amount), date(2024, 1, 15)), clerk)
    run(c.FileComplaint("z1", "zk1", "zo2", "kitchen", ZELDA["complaint"]), SUPPORT)
    run(c.AnswerComplaint("z1", "zk1", ZELDA["answer"]), SUPPORT)
    run(c.RequestDetailedInvoice("z1", "zi2", ZELDA["note"]), SUPPORT)
    run(c.GrantDeferral("z1", "zi2", date(2024, 1, 20), ZELDA["deferral"]), clerk)
    run(c.ReceivePayment("z1", "zi1", eur(20)), clerk)
    clock.set(datetime(2024, 1, 25, 9, tzinfo=UTC))
    run(c.DunInvoice("zi1"), clerk)
    run(c.DunInvoice("oi1"), clerk)
    run(c.OpenDispute("z1", "zi1", ZELDA["dispute"]), SUPPORT)
    with contextlib.suppress(DomainError):
        run(c.DunInvoice("zi2"), clerk)


def secrets(person: dict[str, str]) -> list[bytes]:
    """The strings of ``person`` as bytes, as a database would hold them."""
    return [value.encode() for value in person.values()]


def found_in(blob: bytes, wanted: list[bytes]) -> list[bytes]:
    return [w for w in wanted if w in blob]


def table_rows(journey: Journey) -> dict[str, bytes]:
    """Every row of every table of both stores, by table, as bytes (each value's text)."""
    found: dict[str, bytes] = {}
    stores = [journey.service.app.recorder.datastore]  # type: ignore[attr-defined]
    if not journey.location.is_postgres:
        stores.append(journey.store.datastore)  # type: ignore[attr-defined]
    for n, datastore in enumerate(stores):
        with datastore.transaction(commit=False) as cur:
            if journey.location.is_postgres:
                cur.execute("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
            else:
                cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = [r["name"] for r in cur.fetchall()]
            for table in tables:
                cur.execute(f'SELECT * FROM "{table}"')  # noqa: S608
                found[f"{n}:{table}"] = b"\n".join(_bytes(tuple(r)) for r in cur.fetchall())
    return found


def _bytes(row: tuple[Any, ...]) -> bytes:
    return b"|".join(v if isinstance(v, bytes) else bytes(v) if isinstance(v, memoryview) else str(v).encode()
                     for v in row)


def database_files(journey: Journey) -> dict[str, bytes]:
    """The raw bytes of every file the stores' data lives in: the SQLite files with their
    write-ahead logs; on PostgreSQL every relation file of the database (after a CHECKPOINT, so
    the files hold what the server's buffers hold)."""
    if not journey.location.is_postgres:
        env = journey.location
        paths = [Path(env.env["SQLITE_DBNAME"]), Path(env.views_env["SQLITE_DBNAME"])]
        files = [p.with_name(p.name + suffix) for p in paths for suffix in ("", "-wal", "-journal")]
        return {str(f): f.read_bytes() for f in files if f.exists()}
    with psycopg.connect(journey.location.url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        data_dir = Path(conn.execute("SHOW data_directory").fetchone()[0])  # type: ignore[index]
        relations = conn.execute(
            "SELECT pg_relation_filepath(oid) FROM pg_class WHERE pg_relation_filepath(oid) IS NOT NULL"
        ).fetchall()
    found: dict[str, bytes] = {}
    for (relative,) in relations:
        for segment in sorted((data_dir / relative).parent.glob(Path(relative).name + "*")):
            found[str(segment)] = segment.read_bytes()
    return found
