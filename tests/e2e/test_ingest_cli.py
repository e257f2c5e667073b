"""`journey ingest` as an operator runs it: a worker process that stores what integrators publish
to Kafka and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from services.bootstrap import bootstrap
from services.settings import Settings
from tests.e2e.test_cli import environment
from tests.support.kafka import binary, committed_offsets, keyed, our_tracebacks, publish, registered, structured

pytestmark = pytest.mark.kafka


def test_the_ingest_worker_stores_published_touchpoints_and_stops_on_sigterm(kafka_bootstrap, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ingest.sqlite"
    suffix = uuid.uuid4().hex[:8]
    topic, group = f"touchpoints-{suffix}", f"ingest-{suffix}"
    env = environment(
        url, JOURNEY_KAFKA_BOOTSTRAP=kafka_bootstrap, JOURNEY_KAFKA_TOUCHPOINTS_TOPIC=topic,
        JOURNEY_KAFKA_DLQ_TOPIC=f"{topic}.dlq", JOURNEY_KAFKA_GROUP=group, JOURNEY_KAFKA_PARTITIONS="2",
        JOURNEY_KAFKA_SESSION_TIMEOUT_MS="2000", JOURNEY_KAFKA_HEARTBEAT_INTERVAL_MS="500",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "ingest"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # 1. Two touchpoints published, one in each mode; the worker stores and commits both.
        publish(kafka_bootstrap, topic, [
            keyed("w-1", binary(registered("w-1", "e-1"))), keyed("w-2", structured(registered("w-2", "e-2"))),
        ])
        deadline = time.monotonic() + 60
        while committed_offsets(kafka_bootstrap, group, topic) < 2:
            assert worker.poll() is None, worker.communicate()[0]
            assert time.monotonic() < deadline, "the worker did not commit both messages"
            time.sleep(0.2)
    finally:
        # 2. SIGTERM: the worker leaves the group and exits cleanly.
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert not our_tracebacks(output)
    journey = bootstrap(Settings(database_url=url))
    try:
        assert journey.service.head() == 2
    finally:
        journey.close()
