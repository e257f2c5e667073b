"""Several real ``journey serve`` processes on one store: every promise of the API holds.

Each test body runs on SQLite and on PostgreSQL (``database_url``)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from tests.support.auth import keys_for
from tests.support.server import served
from tests.support.shop_events import customer, event

CE = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}


#: The Authorization headers of this test's keys, per role (set for every test by ``keys``).
KEYS: dict[str, dict[str, str]] = {}


@pytest.fixture(autouse=True)
def keys(database_url):
    KEYS.clear()
    KEYS.update(keys_for(database_url, "integrator", "billing", "support", "auditor"))


def acting(role: str, headers: dict | None = None) -> dict:
    """``headers`` with the Authorization of this test's key of ``role``."""
    return {**(headers or {}), **KEYS[role]}


@pytest.fixture
def two_servers(database_url, tmp_path):
    """Two API processes on one store; the first projects, the second does not."""
    with served(database_url, log=tmp_path / "a.log") as (a, _), served(
        database_url, log=tmp_path / "b.log", JOURNEY_PROJECT_IN_PROCESS="false"
    ) as (b, _):
        yield a, b


def race(*calls):
    """Run ``calls`` at the same moment, each in its own thread; returns their results."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result(timeout=60) for f in [pool.submit(run, call) for call in calls]]


def test_the_same_cloudevent_sent_to_two_processes_at_once_is_stored_once(two_servers):
    a, b = two_servers
    assert httpx.post(f"{a}/events", json=customer("c1"), headers=acting("integrator", BATCH)).status_code == 202
    for n in range(12):
        payment = event("payment.received", "c1", {"invoice_id": "c1-i", "amount": "1.00", "currency": "EUR"}, f"p-{n}")

        answers = race(*(lambda url=url, payment=payment: httpx.post(f"{url}/events", json=payment, headers=acting("integrator", CE), timeout=30)
                         for url in (a, b)))

        assert [r.status_code for r in answers] == [202, 202]
        results = [r.json()["results"][0] for r in answers]
        assert results[0]["position"] == results[1]["position"]
        assert sorted(r["duplicate"] for r in results) == [False, True]
    billing = httpx.get(f"{a}/customers/c1/billing", headers=acting("auditor"), params={"min_position": results[0]["position"]}).json()
    assert billing["invoices"][0]["paid"] == "12.00"


def test_concurrent_payments_through_two_processes_are_all_stored(two_servers):
    a, b = two_servers
    assert httpx.post(f"{a}/events", json=customer("c1"), headers=acting("integrator", BATCH)).status_code == 202
    payments = [
        event("payment.received", "c1", {"invoice_id": "c1-i", "amount": "0.50", "currency": "EUR"}, f"p-{n}")
        for n in range(30)
    ]

    answers = race(*(lambda n=n, p=p: httpx.post(f"{(a, b)[n % 2]}/events", json=p, headers=acting("integrator", CE), timeout=30)
                     for n, p in enumerate(payments)))

    assert Counter(r.status_code for r in answers) == {202: 30}
    last = max(r.json()["position"] for r in answers)
    billing = httpx.get(f"{a}/customers/c1/billing", headers=acting("auditor"), params={"min_position": last}).json()
    assert Decimal(billing["invoices"][0]["paid"]) == Decimal("15.00")


HOLDS = {
    "detailed-invoice-requested": lambda url, cid: httpx.post(f"{url}/events", headers=acting("integrator", CE), timeout=30, json=event(
        "invoice.detailed_requested", cid, {"invoice_id": f"{cid}-i"}, f"{cid}-h")),
    "payment-deferral": lambda url, cid: httpx.post(
        f"{url}/invoices/{cid}-i/deferrals", headers=acting("support"), timeout=30,
        json={"until": (date.today() + timedelta(days=10)).isoformat(), "reason": "wait for the invoice"}),
    "dispute": lambda url, cid: httpx.post(
        f"{url}/invoices/{cid}-i/disputes", headers=acting("support"), json={"reason": "fee"}, timeout=30),
    "complaint": lambda url, cid: httpx.post(f"{url}/events", headers=acting("integrator", CE), timeout=30, json=event(
        "complaint.filed", cid, {"complaint_id": f"{cid}-k", "order_id": f"{cid}-o", "product_group": "tools",
                                 "text": "broken"}, f"{cid}-h")),
}


def test_dunning_in_one_process_never_steps_over_a_hold_placed_in_the_other(two_servers):
    a, b = two_servers
    races = [(hold, f"{hold[:4]}-{n}") for hold in sorted(HOLDS) for n in range(5)]
    assert httpx.post(f"{a}/events", json=[e for _, c in races for e in customer(c)], headers=acting("integrator", BATCH)).status_code == 202

    for hold, cid in races:
        # 1. billing duns through one process while the hold arrives through the other
        dunned, held = race(
            lambda cid=cid: httpx.post(f"{a}/invoices/{cid}-i/dunning", headers=acting("billing"), timeout=30),
            lambda cid=cid, hold=hold: HOLDS[hold](b, cid),
        )

        # 2. the hold is stored; the step is either refused for it or came first in the stream
        assert held.status_code in (201, 202), held.text
        if dunned.status_code == 409:
            assert f"hold:{hold}" in [r["code"] for r in dunned.json()["refusals"]]
        else:
            assert dunned.status_code == 201, dunned.text
            assert dunned.json()["position"] < held.json()["position"]


def test_serve_with_two_workers_keeps_the_promises(database_url, tmp_path):
    with served(database_url, "--workers", "2", log=tmp_path / "workers.log") as (url, _):
        assert httpx.post(f"{url}/events", json=customer("c1"), headers=acting("integrator", BATCH)).status_code == 202
        # 1. the same CloudEvent, sent twice at once, and other payments besides
        sends = []
        for n in range(8):
            payment = event("payment.received", "c1", {"invoice_id": "c1-i", "amount": "1.00", "currency": "EUR"}, f"p-{n}")
            sends += [payment, payment]
        answers = race(*(lambda p=p: httpx.post(f"{url}/events", json=p, headers=acting("integrator", CE), timeout=30) for p in sends))

        # 2. every send is answered; each event is stored once, both sends name its position
        assert Counter(r.status_code for r in answers) == {202: 16}
        results = [r.json()["results"][0] for r in answers]
        for n in range(8):
            pair = [r for r in results if r["id"] == f"p-{n}"]
            assert len({r["position"] for r in pair}) == 1 and sorted(r["duplicate"] for r in pair) == [False, True]
        # 3. the views (projected once, by the supervising process) reflect all of it
        last = max(r["position"] for r in results)
        billing = httpx.get(f"{url}/customers/c1/billing", headers=acting("auditor"), params={"min_position": last}).json()
        assert billing["invoices"][0]["paid"] == "8.00"
        assert httpx.get(f"{url}/health/ready").json()["projector"] == {"mode": "external"}
