"""The Kafka workers as operators run them, under faults, against a real Kafka-protocol broker:
a projector worker SIGKILLed mid-run and restarted, two workers splitting the partitions while
one dies, the relay SIGKILLed and restarted, and the broker restarted empty. Every run ends with
exact counts: every event published, none applied twice, the views equal a rebuild."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from adapters.kafka_events import read_relayed
from domain import commands as c
from projections.views import fold
from services.bootstrap import Journey, bootstrap
from services.relay import RELAY
from services.settings import Settings
from tests.e2e.test_cli import environment
from tests.integration.helpers import dump, eur, fresh_read_store, lines, submission
from tests.support.kafka import our_tracebacks, read_topic, tansu_broker

pytestmark = pytest.mark.kafka

DEADLINE_SECONDS = 90.0
PARTITIONS = 4


@dataclass
class Stream:
    """A SQLite journey holding a demo history, and the settings of its Kafka workers."""

    url: str
    bootstrap: str
    env: dict[str, str]
    customers: list[str]
    head: int
    tmp_path: Path

    def settings(self) -> Settings:
        variables = {k.removeprefix("JOURNEY_").lower(): v for k, v in self.env.items() if k.startswith("JOURNEY_")}
        return Settings(**variables)

    def start(self, *command: str, log: Path | None = None, **env: str) -> subprocess.Popen[str]:
        """Start a worker; its output is piped, or written to ``log`` when given (to be read
        while it runs)."""
        with contextlib.ExitStack() as files:
            out = files.enter_context(log.open("w")) if log else subprocess.PIPE
            return subprocess.Popen(
                [sys.executable, "-m", "services.cli", *command], env={**self.env, **env},
                stdout=out, stderr=subprocess.STDOUT, text=True,
            )

    @contextlib.contextmanager
    def journey(self) -> Iterator[Journey]:
        journey = bootstrap(self.settings())
        try:
            yield journey
        finally:
            journey.close()

    def views_position(self) -> int:
        with self.journey() as journey:
            return journey.store.position("journey")

    def progress(self) -> int:
        """The sum of the partitions' applied positions: it grows with every applied batch."""
        with self.journey() as journey:
            return sum(journey.store.partition_positions(self.env["JOURNEY_KAFKA_EVENTS_TOPIC"]).values())

    def relayed_position(self) -> int:
        with self.journey() as journey:
            return journey.store.relay_state(RELAY).position

    def rebuilt(self) -> dict:
        with self.journey() as journey:
            store = fresh_read_store(journey, f"rebuilt{uuid.uuid4().hex[:6]}", self.tmp_path)
            try:
                app = journey.service.app
                events = [(app.mapper.to_domain_event(n), n.id) for n in app.recorder.select_notifications(start=1, limit=100_000)]
                store.project("journey", events, fold)
                return dump(store, self.customers)
            finally:
                store.close()

    def views(self) -> dict:
        with self.journey() as journey:
            return dump(journey.store, self.customers)


def make_stream(bootstrap_address: str, tmp_path: Path, customers: int = 150, **env: str) -> Stream:
    """A journey on SQLite whose views are fed from Kafka, holding ``customers`` customers."""
    url = f"sqlite:///{tmp_path}/journey.sqlite"
    suffix = uuid.uuid4().hex[:8]
    variables = environment(
        url, JOURNEY_KAFKA_BOOTSTRAP=bootstrap_address, JOURNEY_PROJECTOR_SOURCE="kafka",
        JOURNEY_KAFKA_EVENTS_TOPIC=f"events-{suffix}", JOURNEY_KAFKA_CUSTOMERS_TOPIC=f"customers-{suffix}",
        JOURNEY_KAFKA_PROJECTOR_GROUP=f"views-{suffix}", JOURNEY_KAFKA_PARTITIONS=str(PARTITIONS),
        JOURNEY_KAFKA_SESSION_TIMEOUT_MS="2000", JOURNEY_KAFKA_HEARTBEAT_INTERVAL_MS="500",
        **{"JOURNEY_PROJECTOR_BATCH_SIZE": "40", "JOURNEY_KAFKA_RELAY_BATCH_SIZE": "60", **env},
    )
    stream = Stream(url, bootstrap_address, variables, [], 0, tmp_path)
    add_customers(stream, "c", customers)
    assert stream.views_position() == 0  # the views are fed by the Kafka workers only
    return stream


def add_customers(stream: Stream, prefix: str, count: int) -> None:
    """Store ``count`` customers, each with an order, an invoice, a payment, and every third a
    complaint: about six events a customer, ingested in batches."""
    submissions = []
    for n in range(count):
        customer, order, invoice = f"{prefix}-{n}", f"{prefix}-o{n}", f"{prefix}-i{n}"
        commands = [
            c.RegisterCustomer(customer, f"Customer {customer}", f"{customer}@example.org"),
            c.PlaceOrder(customer, order, lines("garden"), "EUR"),
            c.IssueInvoice(customer, invoice, order, eur(100), date(2024, 2, 1)),
            c.ReceivePayment(customer, invoice, eur(40)),
            c.RequestDetailedInvoice(customer, invoice, "itemise it please"),
        ]
        if n % 3 == 0:
            commands.append(c.FileComplaint(customer, f"{prefix}-k{n}", order, "garden", "it broke"))
        submissions += [submission(f"{customer}-{i}", command) for i, command in enumerate(commands)]
        stream.customers.append(customer)
    with stream.journey() as journey:
        for start in range(0, len(submissions), 250):
            journey.service.ingest(submissions[start : start + 250])
        stream.head = journey.service.head()


def wait_until(condition: Callable[[], bool], what: str, *processes: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"a worker exited ({process.returncode}): {process.communicate()[0]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def stop(*processes: subprocess.Popen[str]) -> list[str]:
    outputs = []
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        outputs.append(process.communicate(timeout=30)[0] or "")
    return outputs


def published_positions(stream: Stream) -> Counter[int]:
    topic = stream.env["JOURNEY_KAFKA_EVENTS_TOPIC"]
    relayed = [read_relayed(r) for r in read_topic(stream.bootstrap, topic)]
    return Counter(r.position for r in relayed if r is not None and r.kind == "event")


def test_a_projector_worker_killed_mid_run_resumes_and_applies_nothing_twice(kafka_bootstrap, tmp_path):
    stream = make_stream(kafka_bootstrap, tmp_path, customers=400, JOURNEY_PROJECTOR_BATCH_SIZE="10")
    relay = stream.start("relay")
    worker = None
    try:
        wait_until(lambda: stream.relayed_position() == stream.head, "the stream relayed", relay)
        worker = stream.start("project", "--source", "kafka")  # some 200 batches of 10 to apply
        wait_until(lambda: stream.progress() > 0, "a first batch applied", relay, worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        killed_at = stream.progress()
        worker = stream.start("project", "--source", "kafka")
        wait_until(lambda: stream.views_position() == stream.head, "the head", relay, worker)
    finally:
        outputs = stop(relay, *([worker] if worker else []))
    assert 0 < killed_at < stream.progress(), "the worker was not killed while it worked: no fault was tested"
    assert stream.views() == stream.rebuilt()
    assert not [t for o in outputs for t in our_tracebacks(o)]


def test_two_workers_split_the_partitions_and_one_dies(kafka_bootstrap, tmp_path):
    stream = make_stream(kafka_bootstrap, tmp_path)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first, second = (stream.start("project", "--source", "kafka", log=log) for log in logs)
    relay = stream.start("relay")
    try:
        owning = re.compile(r"assigned partitions \[\d")
        wait_until(lambda: all(owning.search(log.read_text()) for log in logs), "both workers owning partitions",
                   first, second, relay)
        wait_until(lambda: 0 < stream.views_position(), "both workers applying", first, second, relay)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        wait_until(lambda: stream.views_position() == stream.head, "the survivor taking over", second, relay)
    finally:
        stop(relay, second)
    assert stream.views() == stream.rebuilt()
    assert not our_tracebacks(logs[1].read_text())


def test_the_relay_killed_and_restarted_publishes_everything_doubling_at_most_its_last_batch(kafka_bootstrap, tmp_path):
    stream = make_stream(kafka_bootstrap, tmp_path, customers=400, JOURNEY_KAFKA_RELAY_BATCH_SIZE="10")
    relay, worker = stream.start("relay"), stream.start("project", "--source", "kafka")
    try:
        wait_until(lambda: stream.relayed_position() > 0, "a first batch relayed", relay)
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=30)
        killed_at = stream.relayed_position()
        relay = stream.start("relay")
        wait_until(lambda: stream.views_position() == stream.head, "the head relayed and applied", relay, worker)
    finally:
        stop(relay, worker)
    assert stream.views() == stream.rebuilt()
    counts = published_positions(stream)
    assert killed_at < stream.head, "the relay was killed after it had finished: no fault was tested"
    assert set(counts) == set(_positions(stream))
    doubled = sorted(p for p, n in counts.items() if n > 1)
    assert max(counts.values()) <= 2
    assert len(doubled) <= 10  # at most the batch that was sent but not recorded
    assert all(p > killed_at for p in doubled)


def test_a_broker_restarted_empty_gets_the_stream_again_and_the_views_end_up_correct(tmp_path):
    with tansu_broker() as broker:
        stream = make_stream(broker.bootstrap, tmp_path, customers=60)
        relay, worker = stream.start("relay"), stream.start("project", "--source", "kafka")
        try:
            wait_until(lambda: stream.views_position() == stream.head, "the views caught up", relay, worker)
            broker.restart()  # in memory: every topic and message is gone
            add_customers(stream, "after-restart", 10)
            wait_until(lambda: stream.views_position() == stream.head, "the views after the restart", relay, worker)
        finally:
            outputs = stop(relay, worker)
        assert stream.views() == stream.rebuilt()
        assert "publishing the stream again from position 0" in outputs[0]


def _positions(stream: Stream) -> list[int]:
    with stream.journey() as journey:
        return [n.id for n in journey.service.app.recorder.select_notifications(start=1, limit=100_000)]


def test_a_second_relay_stands_by_and_takes_over_when_the_first_is_killed(kafka_bootstrap, tmp_path):
    stream = make_stream(kafka_bootstrap, tmp_path, customers=60)
    first = stream.start("relay")
    wait_until(lambda: stream.relayed_position() > 0, "the first relay publishing", first)
    standby_beat = tmp_path / "second.alive"
    second = stream.start("relay", JOURNEY_HEARTBEAT_FILE=str(standby_beat))
    try:
        # The second beats only once it stood by (it cannot publish without the lease).
        wait_until(standby_beat.exists, "the second relay standing by", first, second)
        add_customers(stream, "meanwhile", 10)
        wait_until(lambda: stream.relayed_position() == stream.head, "the head relayed", first, second)
        assert published_positions(stream) == Counter(_positions(stream))  # each exactly once: one publisher
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        add_customers(stream, "later", 10)
        wait_until(lambda: stream.relayed_position() == stream.head, "the stand-by relaying", second)
    finally:
        outputs = stop(second)
    counts = published_positions(stream)
    assert set(counts) == set(_positions(stream))
    assert max(counts.values()) == 1
    assert "standing by" in outputs[0]
