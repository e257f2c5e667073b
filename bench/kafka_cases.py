"""The Kafka cases: raw kafka-python produce and consume rates against the broker, the journey
end to end (touchpoints topic -> ``journey ingest`` -> event store -> ``journey relay`` ->
events topic -> ``journey project --source kafka`` -> views), and produce-to-visible latency at
a steady rate.

Messages are what integrators publish: bench/data.py's stories as binary-mode CloudEvents (``ce_``
headers, the value is the JSON data), keyed by customer id, encoded before the clock starts.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from adapters.kafka_touchpoints import ensure_topics
from bench.http_cases import percentile
from bench.http_server import cpu_seconds
from bench.kafka_workers import Samples, Watcher, Workers, running, settings_of, wait_until
from bench.touchpoints import cloud_events
from services.bootstrap import bootstrap
from services.settings import kafka_options
from tests.support.kafka import binary, publish

#: The producer integrators are asked to use (issue 7), here for the raw and the journey cases.
PRODUCER: dict[str, Any] = {"acks": "all", "enable_idempotence": True, "linger_ms": 5, "batch_size": 64 * 1024}
STAGES = ("head", "relayed", "views")  # stored by ingest, published by the relay, applied to the views
WARM_UP = 6  # registrations sent first, so that every worker has joined before the clock starts
E2E_SAMPLE_SECONDS = 0.02  # how often the end-to-end case samples the stages
JOIN_BOUND = 120.0  # seconds the workers may take to join and apply the warm-up

#: (key, value, headers) of one Kafka message.
Message = tuple[bytes, bytes, list[tuple[str, bytes]]]


@dataclass
class KafkaResult:
    """One Kafka case: how many, how long, and the case's own figures in ``extra``."""

    case: str
    store: str  # "broker" for the raw kafka-python cases
    count: int
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def messages(seed: int, tag: str, count: int) -> list[tuple[str, Message]]:
    """``count`` (CloudEvent id, message) pairs in binary mode (``datacontenttype`` travels as
    the ``content-type`` header)."""
    out = []
    for subject, event in islice(cloud_events(seed, tag), count):
        value, headers = binary({k: v for k, v in event.items() if k != "datacontenttype"})
        out.append((event["id"], (subject.encode(), value, headers)))
    return out


def sizes(batch: Sequence[tuple[str, Message]]) -> dict[str, float]:
    """Mean bytes of a message's value and of its headers."""
    n = len(batch) or 1
    return {"value_bytes": sum(len(m[1]) for _, m in batch) / n,
            "header_bytes": sum(len(k) + len(v) for _, m in batch for k, v in m[2]) / n}


def _send_all(producer: KafkaProducer, topic: str, batch: Sequence[tuple[str, Message]]) -> None:
    futures = [producer.send(topic, key=k, value=v, headers=h) for _, (k, v, h) in batch]
    producer.flush(timeout=120)
    for future in futures:
        future.get(timeout=30)  # raises the first failure


def raw_produce(bootstrap_address: str, topic: str, batch: Sequence[tuple[str, Message]]) -> KafkaResult:
    """kafka-python alone: every message sent and acknowledged; the clock starts at the first send."""
    producer = KafkaProducer(bootstrap_servers=bootstrap_address, **PRODUCER)
    try:
        producer.partitions_for(topic)  # metadata fetched before the clock starts
        started = time.perf_counter()
        _send_all(producer, topic, batch)
        seconds = time.perf_counter() - started
    finally:
        producer.close()
    return KafkaResult("raw kafka-python produce", "broker", len(batch), seconds, sizes(batch))


def raw_consume(bootstrap_address: str, topic: str, count: int, bound: float = 120.0) -> KafkaResult:
    """One consumer (no group) reading the topic from its beginning until ``count`` messages came."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_address, enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_records=1000)
    try:
        consumer.assign([TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())])
        consumer.seek_to_beginning()
        read, started = 0, time.perf_counter()
        while read < count and time.perf_counter() - started < bound:
            read += sum(len(records) for records in consumer.poll(timeout_ms=500).values())
        seconds = time.perf_counter() - started
    finally:
        consumer.close()
    return KafkaResult("raw kafka-python consume (1 consumer)", "broker", read, seconds)


def _warm_up(env: dict[str, str], workers: Workers, watcher: Watcher) -> int:
    """Registrations of customers of their own, applied to the views before the clock starts
    (every worker has joined its group by then); returns the stream's head."""
    now = datetime.now(UTC).isoformat()
    batch: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]] = []
    for n in range(WARM_UP):
        cid = f"bench-warm-{n}"
        event = {"specversion": "1.0", "id": cid, "source": "bench://warm-up", "type": "customer.registered",
                 "subject": cid, "time": now, "data": {"name": f"Warm {n}", "email": f"{cid}@example.org"}}
        batch.append((cid.encode(), *binary(event)))
    publish(env["JOURNEY_KAFKA_BOOTSTRAP"], env["JOURNEY_KAFKA_TOUCHPOINTS_TOPIC"], batch)
    if not wait_until(watcher, workers, WARM_UP, JOIN_BOUND):
        raise RuntimeError(f"the workers did not apply the warm-up within {JOIN_BOUND:.0f} s")
    return watcher.sample().head


def run_delay(pid: int | None) -> float:
    """Seconds the threads of ``pid`` have waited for a core so far (scheduler statistics; the
    threads that ended are not counted)."""
    total = 0
    if pid is not None:
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


class Meter:
    """CPU seconds over a case, and seconds waiting for a core: each worker, the broker, this
    process (the producer and the watcher); PostgreSQL's backends' CPU seconds."""

    def __init__(self, workers: Workers, broker: int | None, postmaster: int | None) -> None:
        self.workers, self.broker, self.postmaster = workers, broker, postmaster

    def _pids(self) -> dict[str, int | None]:
        pids: dict[str, int | None] = {f"journey {k}": p.pid for k, p in self.workers.processes.items()}
        return {**pids, "broker": self.broker, "bench (producer, watcher)": os.getpid()}

    def _now(self) -> dict[str, tuple[float, float]]:
        now = {k: (cpu_seconds(pid) or 0.0, run_delay(pid)) for k, pid in self._pids().items()}
        if self.postmaster is not None:
            now["postgres"] = (cpu_seconds(self.postmaster, children_of=True) or 0.0, 0.0)
        return now

    def start(self) -> Meter:
        self.began, self.first = time.perf_counter(), self._now()
        return self

    def stop(self) -> dict[str, Any]:
        """Over the wall seconds since ``start``: each one's CPU and its wait for a core, as
        shares of one core (``cores``, ``waiting``), and the wall seconds."""
        wall = time.perf_counter() - self.began
        now = self._now()
        return {"wall": wall, "cores": {k: (v[0] - self.first[k][0]) / wall for k, v in now.items()},
                "waiting": {k: (v[1] - self.first[k][1]) / wall for k, v in now.items() if k != "postgres"}}


@dataclass
class Case:
    """Where a Kafka case runs: the broker, the store, its label, logs, profile, processes."""

    bootstrap: str
    env: dict[str, str]
    label: str
    logs: Path
    profile_dir: Path | None
    broker_pid: int | None
    postmaster: int | None

    def create_topics(self) -> None:
        s = settings_of(self.env)
        ensure_topics(kafka_options(s), {s.kafka_touchpoints_topic: s.kafka_partitions}, s.kafka_replication_factor)


def end_to_end(case: Case, events: int, seed: int, bound: float) -> KafkaResult:
    """``events`` touchpoints produced as fast as the producer goes; timed from the first send
    until the views' position reaches the stream's head with every touchpoint stored."""
    batch = messages(seed, "kafka-e2e", events)
    topic = case.env["JOURNEY_KAFKA_TOUCHPOINTS_TOPIC"]
    case.create_topics()
    with running(case.env, case.logs, f"{case.label}-e2e", case.profile_dir, E2E_SAMPLE_SECONDS) as (workers, watcher):
        warm = _warm_up(case.env, workers, watcher)
        producer = KafkaProducer(bootstrap_servers=case.bootstrap, **PRODUCER)
        producer.partitions_for(topic)
        meter = Meter(workers, case.broker_pid, case.postmaster).start()
        started = time.perf_counter()
        _send_all(producer, topic, batch)
        produced = time.perf_counter() - started
        producer.close()
        done = wait_until(watcher, workers, warm + events, bound)
        cpu = meter.stop()
        traced = workers.tracebacks()
    samples, last = watcher.samples, watcher.samples.last()
    assert last is not None
    stages = _stages(samples, started, warm, events)
    stages["produce (acknowledged)"] = (0.0, produced)
    reached = stages["views"][1]
    seconds = reached if done and reached is not None else time.perf_counter() - started
    extra = {"stages": stages, **cpu, "done": done, "head": last.head - warm, "relayed": last.relayed - warm,
             "views": last.views - warm, "tracebacks": traced, **sizes(batch)}
    return KafkaResult("end to end: touchpoints -> ingest -> store -> relay -> views", case.label,
                       events if done else max(0, last.views - warm), seconds, extra)


def _stages(samples: Samples, started: float, warm: int, events: int) -> dict[str, tuple[float | None, float | None]]:
    """Per stage: seconds from the first send until its first event, and until all of them."""
    out: dict[str, tuple[float | None, float | None]] = {}
    for stage in STAGES:
        first, last = samples.reached(stage, [warm + 1, warm + events])
        out[stage] = (None if first is None else first - started, None if last is None else last - started)
    return out


def steady_latency(case: Case, rate: int, seconds: int, seed: int, bound: float, interval: float) -> KafkaResult:
    """Touchpoints at a steady ``rate`` for ``seconds``; each CloudEvent's send time recorded by
    its id, then mapped to its stream position: latency to the first watcher sample at which
    each stage (stored, relayed, visible in the views) had reached that position."""
    batch = messages(seed, "kafka-latency", rate * seconds)
    topic = case.env["JOURNEY_KAFKA_TOUCHPOINTS_TOPIC"]
    case.create_topics()
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    with running(case.env, case.logs, f"{case.label}-latency", case.profile_dir, interval) as (workers, watcher):
        warm = _warm_up(case.env, workers, watcher)
        producer = KafkaProducer(bootstrap_servers=case.bootstrap, **PRODUCER)
        producer.partitions_for(topic)
        meter = Meter(workers, case.broker_pid, case.postmaster).start()
        first = time.perf_counter() + 0.05
        for n, (ce_id, (key, value, headers)) in enumerate(batch):
            if (wait := first + n / rate - time.perf_counter()) > 0:
                time.sleep(wait)
            sent[ce_id] = time.perf_counter()
            future = producer.send(topic, key=key, value=value, headers=headers)
            future.add_callback(lambda _, ce_id=ce_id: acked.__setitem__(ce_id, time.perf_counter()))
        sending = time.perf_counter() - first
        producer.flush(timeout=60)
        producer.close()
        done = wait_until(watcher, workers, warm + len(batch), bound)
        cpu = meter.stop()
        traced = workers.tracebacks()
    positions = _positions(case.env, warm)
    ids = [ce_id for ce_id, _ in batch if ce_id in positions]
    latencies: dict[str, list[float]] = {"acknowledged": [acked[i] - sent[i] for i in ids if i in acked]}
    for stage in STAGES:
        at = watcher.samples.reached(stage, [positions[i] for i in ids])
        latencies[stage] = [t - sent[i] for i, t in zip(ids, at, strict=True) if t is not None]
    figures = {stage: _ms([percentile(v, 0.5), percentile(v, 0.99), max(v, default=None)])
               for stage, v in latencies.items()}
    extra = {"latency_ms": figures, **cpu, "done": done, "rate": rate, "sent_rate": len(sent) / sending,
             "stored": len(positions), "visible": len(latencies["views"]), "tracebacks": traced,
             "samples": len(watcher.samples.rows), "interval_ms": interval * 1000}
    return KafkaResult(f"produce-to-visible at {rate:,} events/s for {seconds} s", case.label, len(sent), sending, extra)


def _ms(values: list[float | None]) -> list[float | None]:
    return [None if v is None else v * 1000 for v in values]


def _positions(env: dict[str, str], after: int) -> dict[str, int]:
    """CloudEvent id -> stream position of every touchpoint stored after position ``after``
    (the stored event's ``by.event_id`` is the CloudEvent's id)."""
    journey = bootstrap(settings_of(env))
    found: dict[str, int] = {}
    try:
        app, start = journey.service.app, after + 1
        while page := app.recorder.select_notifications(start=start, limit=1000):
            for n in page:
                by = getattr(app.mapper.to_domain_event(n), "by", None)
                if by is not None and by.event_id:
                    found[by.event_id] = n.id
            start = page[-1].id + 1
    finally:
        journey.close()
    return found


def tansu_pid() -> int | None:
    """The pid of the tansu broker this process started, if any (its CPU time is reported)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                if stat.split(" (", 1)[1].startswith("tansu)") and int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                    return int(entry.name)
            except (OSError, IndexError, ValueError):
                continue
    return None

