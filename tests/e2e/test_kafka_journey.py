"""The production shape with Kafka, as processes: `journey serve` reading views fed from Kafka,
`journey ingest`, `journey relay` and two `journey project --source kafka` workers, on SQLite and
PostgreSQL. Touchpoints come in over HTTP and over Kafka; a read with ``?min_position`` sees the
write it names (read-your-writes), and billing and support agree for every customer."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

import httpx
import pytest

from tests.e2e.test_cli import environment
from tests.e2e.test_processes import BATCH, customer, event
from tests.support.auth import keys_for
from tests.support.kafka import binary, keyed, our_tracebacks, publish, structured
from tests.support.server import served

pytestmark = pytest.mark.kafka

DEADLINE_SECONDS = 90.0


def test_reads_see_their_writes_with_views_fed_from_kafka(database_url, kafka_bootstrap, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    kafka = {
        "JOURNEY_KAFKA_BOOTSTRAP": kafka_bootstrap, "JOURNEY_PROJECTOR_SOURCE": "kafka",
        "JOURNEY_KAFKA_TOUCHPOINTS_TOPIC": f"touchpoints-{suffix}", "JOURNEY_KAFKA_DLQ_TOPIC": f"dlq-{suffix}",
        "JOURNEY_KAFKA_GROUP": f"ingest-{suffix}", "JOURNEY_KAFKA_EVENTS_TOPIC": f"events-{suffix}",
        "JOURNEY_KAFKA_CUSTOMERS_TOPIC": f"customers-{suffix}", "JOURNEY_KAFKA_PROJECTOR_GROUP": f"views-{suffix}",
        "JOURNEY_KAFKA_PARTITIONS": "3", "JOURNEY_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "JOURNEY_KAFKA_HEARTBEAT_INTERVAL_MS": "500", "JOURNEY_PROJECT_IN_PROCESS": "false",
        "JOURNEY_READ_WAIT_SECONDS": "30",
    }
    env = environment(database_url, **kafka)
    keys = keys_for(database_url, "integrator", "billing", "support")
    workers = [
        subprocess.Popen([sys.executable, "-m", "services.cli", *command], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for command in (("ingest",), ("relay",), ("project", "--source", "kafka"), ("project", "--source", "kafka"))
    ]
    try:
        with served(database_url, log=tmp_path / "api.log", **kafka) as (url, _):
            # 1. Over HTTP: the answer's position, asked for, is seen by billing and support.
            written = httpx.post(f"{url}/events", json=customer("c1"), headers={**BATCH, **keys["integrator"]}, timeout=30)
            assert written.status_code == 202, written.text
            position = written.json()["position"]
            billing = httpx.get(f"{url}/customers/c1/billing", params={"min_position": position}, headers=keys["billing"], timeout=40)
            assert billing.status_code == 200, billing.text
            assert billing.json()["position"] >= position
            assert billing.json()["invoices"][0]["amount"] == "100.00"
            # 2. Over Kafka, both modes of the binding: stored by ingest, relayed, projected.
            payment = event("payment.received", "c1", {"invoice_id": "c1-i", "amount": "30.00", "currency": "EUR"}, "k-1")
            request = event("invoice.detailed_requested", "c1", {"invoice_id": "c1-i"}, "k-2")
            publish(kafka_bootstrap, kafka["JOURNEY_KAFKA_TOUCHPOINTS_TOPIC"],
                    [keyed("c1", binary(payment)), keyed("c1", structured(request))])
            deadline = time.monotonic() + DEADLINE_SECONDS
            while httpx.get(f"{url}/customers/c1/billing", headers=keys["billing"], timeout=10).json()["invoices"][0]["paid"] != "30.00":
                exited = [w for w in workers if w.poll() is not None]
                assert not exited, f"a worker exited: {exited[0].communicate()[0][-3000:]}"
                assert time.monotonic() < deadline, "the Kafka touchpoint never reached the views"
                time.sleep(0.2)
            # 3. A department command, then both departments at its position agree.
            deferral = httpx.post(f"{url}/invoices/c1-i/deferrals", headers=keys["support"], timeout=30,
                                  json={"until": _in_days(10), "reason": "waiting for the detailed invoice"})
            assert deferral.status_code in (200, 201), deferral.text
            at = deferral.json()["position"]
            views = httpx.get(f"{url}/customers/c1/views", params={"min_position": at}, headers=keys["billing"], timeout=40).json()
            assert views["position"] >= at
            billing_invoice, support_invoice = views["billing"]["invoices"][0], views["support"]["invoices"][0]
            assert billing_invoice == support_invoice
            assert billing_invoice["paid"] == "30.00"
            assert {h["kind"] for h in billing_invoice["holds"]} == {"payment-deferral", "detailed-invoice-requested"}
            ready = httpx.get(f"{url}/health/ready", timeout=10)
            assert ready.status_code == 200, ready.text
            projector = ready.json()["projector"]
            assert (projector["mode"], projector["topic"]) == ("kafka", kafka["JOURNEY_KAFKA_EVENTS_TOPIC"])
    finally:
        outputs = []
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            outputs.append(worker.communicate(timeout=30)[0])
    assert [w.returncode for w in workers] == [0, 0, 0, 0], outputs
    failures = [t for o in outputs for t in our_tracebacks(o)]
    assert not failures, failures[0]


def _in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()
