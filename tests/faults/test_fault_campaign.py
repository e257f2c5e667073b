"""The fault campaign: real ``journey serve`` processes SIGKILLed in the middle of concurrent
batches (SQLite and PostgreSQL), and PostgreSQL restarted under a serving process. Afterwards
every acknowledged event is stored exactly once, no batch is stored in part, the views equal a
rebuild from the stream, and the API answers again without being restarted.

``JOURNEY_FAULT_ROUNDS`` (kills, default 3) and ``JOURNEY_FAULT_RESTARTS`` (PostgreSQL
restarts, default 1) size it; ``make test-faults`` runs the long form. Each run records its
figures in ``var/reliability/`` (``python -m tests.faults.report`` prints them)."""

from __future__ import annotations

import os
import random
import signal
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.faults import report
from tests.faults.campaign import (
    Findings,
    Ledger,
    StoreScan,
    publishing,
    restart_watched,
    store_name,
    verify,
    wait_for,
    wait_until_caught_up,
)
from tests.support.postgres import create_database
from tests.support.server import served
from tests.support.sizes import env_count

ROUNDS = env_count("JOURNEY_FAULT_ROUNDS", 3)
RESTARTS = env_count("JOURNEY_FAULT_RESTARTS", 1)


def figures(store: str, campaign: str, ledger: Ledger, findings: Findings, **more: object) -> dict[str, object]:
    return {
        "store": store, "campaign": campaign, "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "requests_sent": len(ledger.requests),
        "requests_unanswered": sum(1 for s in ledger.requests if s.status is None),
        "acknowledged_events": len(ledger.acknowledged_events()),
        "events_stored": findings.events_stored,
        "events_lost": len(findings.events_lost),
        "events_doubled": len(findings.events_doubled),
        "partial_batches": len(findings.partial_batches),
        "views_equal_rebuild": findings.views_equal_rebuild and findings.views_at_head,
        **more,
    }


def assert_kept_promises(findings: Findings) -> None:
    assert findings.events_lost == []
    assert findings.events_doubled == []
    assert findings.partial_batches == []
    assert findings.views_at_head, "the server's views did not reach the head"
    assert findings.views_equal_rebuild


def serve_and_kill(database_url: str, ledger: Ledger, chance: random.Random, log: Path) -> None:
    """Serve the store while clients post; SIGKILL the server once it acknowledged 5 to 25 more
    batches, at a random moment up to 50 ms later (so that kills land before, during and after
    commits, not just as an answer leaves)."""
    with served(database_url, log=log) as (url, process):
        with publishing(url, database_url, ledger) as workers:
            more = ledger.more_acknowledged(chance.randint(5, 25))
            wait_for(lambda: more() or any(w.done() for w in workers), "batches acknowledged")
            threading.Event().wait(chance.uniform(0, 0.05))
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_killed_servers_leave_every_acknowledged_event_stored_once_and_no_batch_in_part(database_url, tmp_path):
    ledger, scan, chance = Ledger(), StoreScan(database_url), random.Random(6)
    partial, whole, absent = [], 0, 0
    for _ in range(ROUNDS):
        # 1. a server on the store; clients post batches, each resending what went unanswered
        #    first; 2. SIGKILL in the middle of concurrent batches
        serve_and_kill(database_url, ledger, chance, tmp_path / "serve.log")
        # 3. each batch the kill left unanswered is stored whole or not at all
        scan.update()
        for key in set(ledger.pending.values()):
            stored, size = scan.stored(ledger.batches[key]), len(ledger.batches[key])
            whole, absent = whole + (stored == size), absent + (stored == 0)
            if stored not in (0, size):
                partial.append(key)
    # 4. once more on the same store: every unanswered batch is sent again and acknowledged, and
    #    a new one from each client; the server's views catch up with the stream
    with served(database_url, log=tmp_path / "serve.log") as (url, _):
        acknowledged = len(ledger.acknowledged)
        with publishing(url, database_url, ledger, fresh=1, lost="retry") as workers:
            wait_for(lambda: all(w.done() for w in workers), "every client's last batch acknowledged")
        assert not ledger.pending and len(ledger.acknowledged) > acknowledged
        wait_until_caught_up(url, database_url)

    # 5. each acknowledged event stored once, no batch in part, the views equal a rebuild
    findings = verify(scan, ledger, partial, tmp_path)
    outages, otherwise = ledger.server_errors([])
    report.record(figures(
        store_name(database_url), "kills", ledger, findings, rounds=ROUNDS, kills_survived=ROUNDS,
        unanswered_at_kills=[whole, absent], server_errors_in_outages=outages, server_errors_otherwise=otherwise,
    ))
    assert_kept_promises(findings)
    assert otherwise == 0


@pytest.mark.postgres
def test_a_server_recovers_from_a_postgresql_restart_without_being_restarted(restartable_postgres, tmp_path):
    server_url, restart = restartable_postgres
    database_url = create_database(server_url, "faults")
    ledger, outages, recoveries = Ledger(), [], []
    with served(database_url, log=tmp_path / "serve.log") as (url, process):
        with publishing(url, database_url, ledger, lost="retry"):
            for _ in range(RESTARTS):
                # 1. clients post batches; PostgreSQL restarts under them (503s are allowed)
                wait_for(ledger.more_acknowledged(20), "batches acknowledged")
                began = time.monotonic()
                up = restart_watched(server_url, restart)
                # 2. the same process acknowledges writes again, without being restarted
                first = wait_for(lambda up=up: ledger.first_acknowledgement_after(up),
                                 "an acknowledged write after PostgreSQL came back")
                outages.append((began, first))
                recoveries.append(first - up)
            wait_for(ledger.more_acknowledged(20), "batches acknowledged after the restarts")
        # 3. whatever went unanswered is sent again and acknowledged; the views catch up
        with publishing(url, database_url, ledger, fresh=0, lost="retry") as workers:
            wait_for(lambda: all(w.done() for w in workers), "every unanswered batch acknowledged")
        wait_until_caught_up(url, database_url)
        assert process.poll() is None, "the server was not to be restarted"

    # 4. each acknowledged event stored once, no batch in part, the views equal a rebuild
    findings = verify(StoreScan(database_url), ledger, [], tmp_path)
    in_outages, otherwise = ledger.server_errors(outages)
    report.record(figures(
        "postgres", "postgres-restarts", ledger, findings, postgres_restarts=RESTARTS,
        server_errors_in_outages=in_outages, server_errors_otherwise=otherwise,
        recovery_seconds=[round(r, 3) for r in recoveries], recovery_seconds_max=round(max(recoveries), 3),
        recovery_seconds_median=round(statistics.median(recoveries), 3),
    ))
    assert_kept_promises(findings)
    assert otherwise == 0
