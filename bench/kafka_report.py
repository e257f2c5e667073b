"""The Kafka section of the report: raw kafka-python rates, the journey end to end through
Kafka and its produce-to-visible latency, the issue's aims met or missed, and where the time
goes, as Markdown."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bench import report
from bench.kafka_cases import PRODUCER, KafkaResult

END_TO_END_AIM = 10_000  # events/s through Kafka in -> store -> relay -> Kafka out -> all views
RAW_RATIO_AIM = 0.5  # of the raw kafka-python produce rate
P99_AIM_MS = 250.0  # produce-to-visible at a steady 1,000 events/s

STAGE_NAMES = {
    "produce (acknowledged)": "produce: acknowledged by the broker",
    "head": "`journey ingest`: stored in the event store (stream head)",
    "relayed": "`journey relay`: published and acknowledged (relay position)",
    "views": "`journey project --source kafka`: applied to the views (views position)",
}
STAGE_CPU = {"produce (acknowledged)": "bench (producer, watcher)", "head": "journey ingest",
             "relayed": "journey relay", "views": "journey project"}
LATENCY_STAGES = ("acknowledged", "head", "relayed", "views")
LATENCY_NAMES = {"acknowledged": "acknowledged", "head": "stored", "relayed": "relayed", "views": "visible"}


def _n(value: float | int | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _verdict(met: bool | None) -> str:
    return "met" if met else "MISSED" if met is False else "not judged"


def _raw_produce(raw: Sequence[KafkaResult | str]) -> KafkaResult | None:
    return next((r for r in raw if isinstance(r, KafkaResult) and r.case.endswith("produce")), None)


def _e2e(results: Sequence[KafkaResult | str]) -> list[KafkaResult]:
    return [r for r in results if isinstance(r, KafkaResult) and r.case.startswith("end to end")]


def _latency(results: Sequence[KafkaResult | str]) -> list[KafkaResult]:
    return [r for r in results if isinstance(r, KafkaResult) and r.case.startswith("produce-to-visible")]


def aims(result: KafkaResult, produce: KafkaResult | None) -> list[str]:
    """The issue's aims for ``result``, each met, MISSED or not judged."""
    if result.case.startswith("end to end"):
        done = bool(result.extra.get("done"))
        ratio = result.rate / produce.rate if produce and produce.rate else None
        return [f">= {END_TO_END_AIM:,} events/s: {_verdict(done and result.rate >= END_TO_END_AIM)}",
                f">= {RAW_RATIO_AIM}x raw produce: "
                + _verdict(None if ratio is None else done and ratio >= RAW_RATIO_AIM)]
    if result.case.startswith("produce-to-visible"):
        p99 = result.extra["latency_ms"]["views"][1]
        met = None if p99 is None else bool(result.extra.get("done")) and p99 <= P99_AIM_MS
        return [f"p99 <= {P99_AIM_MS:.0f} ms: {_verdict(met)}"]
    return []


def table(raw: Sequence[KafkaResult | str], results: Sequence[KafkaResult | str]) -> Iterator[str]:
    produce = _raw_produce(raw)
    yield "| case | store | events | seconds | events/s | vs raw produce | aims |"
    yield "|---|---|---:|---:|---:|---:|---|"
    for r in [*raw, *results]:
        if isinstance(r, str):
            yield f"| {r} |  |  |  |  |  |  |"
            continue
        if r.case.startswith("produce-to-visible"):
            continue  # in its own table
        ratio = "baseline" if r is produce else (f"{r.rate / produce.rate:.2f}x" if produce and produce.rate else "")
        note = "" if r.extra.get("done", True) else f" (views not at the head within the wait: {r.count:,} applied)"
        yield (f"| {r.case}{note} | {r.store} | {r.count:,} | {r.seconds:.2f} | {r.rate:,.0f} | {ratio} "
               f"| {'; '.join(aims(r, produce))} |")


def _per_event(result: KafkaResult, who: str) -> float | None:
    """CPU microseconds ``who`` spent per touchpoint of ``result``."""
    cores = result.extra["cores"].get(who)
    return None if cores is None or not result.count else cores * result.extra["wall"] / result.count * 1e6


def stages_table(results: Sequence[KafkaResult | str]) -> Iterator[str]:
    yield ("| store | stage | first event after s | all N after s | events/s while moving | CPU cores "
           "| waiting for a core | CPU µs per event |")
    yield "|---|---|---:|---:|---:|---:|---:|---:|"
    for r in _e2e(results):
        stages = r.extra["stages"]
        for stage in ("produce (acknowledged)", "head", "relayed", "views"):
            first, last = stages[stage]
            moving = r.count / (last - first) if first is not None and last is not None and last > first else None
            who = STAGE_CPU[stage]
            yield (f"| {r.store} | {STAGE_NAMES[stage]} | {_n(first, 2)} | {_n(last, 2)} | {_n(moving)} "
                   f"| {_n(r.extra['cores'].get(who), 2)} | {_n(r.extra['waiting'].get(who), 2)} "
                   f"| {_n(_per_event(r, who))} |")
        for who in r.extra["cores"]:
            if who not in STAGE_CPU.values():
                yield (f"| {r.store} | ({who}) |  |  |  | {_n(r.extra['cores'][who], 2)} "
                       f"| {_n(r.extra['waiting'].get(who), 2)} | {_n(_per_event(r, who))} |")
        total = sum(r.extra["cores"].values()) * r.extra["wall"] / r.count * 1e6 if r.count else None
        yield f"| {r.store} | all of them |  |  |  | {_n(sum(r.extra['cores'].values()), 2)} |  | {_n(total)} |"


def cpu_lines(results: Sequence[KafkaResult | str]) -> Iterator[str]:
    """Per store: CPU cores, waits for a core and CPU µs per touchpoint of every process
    during the latency case."""
    for r in _latency(results):
        parts = [f"{who} {cores:.2f} cores ("
                 + (f"waiting {r.extra['waiting'][who]:.2f}, " if who in r.extra["waiting"] else "")
                 + f"{_n(_per_event(r, who))} µs/event)" for who, cores in r.extra["cores"].items()]
        yield f"- {r.store}, CPU during the latency case: " + "; ".join(parts)


def slowest_stage(result: KafkaResult) -> str:
    """The stage that added the most seconds after the one before it (end to end)."""
    stages = result.extra["stages"]
    order = ["produce (acknowledged)", "head", "relayed", "views"]
    added = {}
    previous = 0.0
    for stage in order:
        last = stages[stage][1]
        if last is None:
            return f"{STAGE_NAMES[stage]} never got all {result.extra.get('head', 0):,} events"
        added[stage], previous = last - previous, last
    worst = max(added, key=lambda s: added[s])
    return (f"{STAGE_NAMES[worst]} (it finished {added[worst]:.2f} s after the stage before it; "
            f"{STAGE_CPU[worst]} used {result.extra['cores'].get(STAGE_CPU[worst], 0):.2f} of a core and waited "
            f"{result.extra['waiting'].get(STAGE_CPU[worst], 0):.2f} of one for a core)")


def latency_table(results: Sequence[KafkaResult | str]) -> Iterator[str]:
    head = " | ".join(f"{LATENCY_NAMES[s]} p50 / p99 / max ms" for s in LATENCY_STAGES)
    yield f"| store | events/s asked | events/s sent | {head} | visible of sent | aim |"
    yield "|---|---:|---:|" + "---|" * len(LATENCY_STAGES) + "---:|---|"
    for r in _latency(results):
        x = r.extra
        cells = " | ".join(" / ".join(_n(v, 1) for v in x["latency_ms"][s]) for s in LATENCY_STAGES)
        yield (f"| {r.store} | {x['rate']:,} | {x['sent_rate']:,.0f} | {cells} | {x['visible']:,} of {r.count:,} "
               f"| {'; '.join(aims(r, None))} |")


def latency_where(result: KafkaResult) -> str:
    """The stage adding the most to p99 after the one before it."""
    p99 = {s: result.extra["latency_ms"][s][1] for s in LATENCY_STAGES}
    added, previous = {}, 0.0
    for stage in LATENCY_STAGES:
        if p99[stage] is None:
            return f"no {LATENCY_NAMES[stage]} latency measured"
        added[stage], previous = p99[stage] - previous, p99[stage]
    worst = max(added, key=lambda s: added[s])
    steps = ", ".join(f"{LATENCY_NAMES[s]} +{added[s]:.0f}" for s in LATENCY_STAGES)
    return f"p99 {p99['views']:.0f} ms built up as {steps} ms: the largest step is up to {LATENCY_NAMES[worst]}"


def section(broker: str, described: Sequence[str], sizes: dict[str, object], settings: str,
            raw: Sequence[KafkaResult | str], results: Sequence[KafkaResult | str]) -> Iterator[str]:
    produce = _raw_produce(raw)
    yield "## Through Kafka: `journey ingest`, `journey relay`, views fed from Kafka"
    yield ""
    yield f"- broker: {broker}"
    yield from (f"- store: {d}" for d in described)
    yield "- sizes: " + ", ".join(f"{k}={v}" for k, v in sizes.items())
    yield f"- worker settings: {settings}; one worker of each kind, as child processes"
    producer = ", ".join(f"{k}={v}" for k, v in PRODUCER.items())
    sized = produce.extra if produce else {}
    yield (f"- producer (raw and journey cases alike): kafka-python, {producer}; binary-mode CloudEvents keyed by "
           f"customer id, value {_n(sized.get('value_bytes'))} + headers {_n(sized.get('header_bytes'))} bytes "
           "on average")
    yield report.load()
    yield ""
    yield from table(raw, results)
    yield ""
    yield "### Where the time goes end to end"
    yield ""
    yield from stages_table(results)
    yield ""
    for r in _e2e(results):
        missed = [a for a in aims(r, produce) if "MISSED" in a]
        yield f"- {r.store}: slowest stage: {slowest_stage(r)}" + (f" (aims missed: {'; '.join(missed)})" if missed else "")
    yield ""
    yield "### Produce-to-visible at a steady rate"
    yield ""
    yield from latency_table(results)
    yield ""
    for r in _latency(results):
        yield f"- {r.store}: {latency_where(r)}"
    yield from cpu_lines(results)
    for r in [*_e2e(results), *_latency(results)]:
        if r.extra.get("tracebacks"):
            yield f"- {r.store}, {r.case}: tracebacks in the logs of {', '.join(r.extra['tracebacks'])}"
    yield ""
    yield NOTES


NOTES = """\
Notes
- raw rows: kafka-python alone against the same broker in the same run: produce = every message
  sent and acknowledged (from the first send); consume = one consumer without a group reading the
  topic from its beginning. They are the baseline of the end-to-end ratio.
- end to end: the three workers start on a fresh database and join their groups; a few warm-up
  registrations go through first; then the touchpoints are produced as fast as the producer goes
  and the clock runs from the first send until the views' position (the lowest partition
  position) reaches the stream's head with every touchpoint stored. Stage times come from a
  watcher sampling head, relay position and views position every 20 ms.
- produce-to-visible: each touchpoint's send time is recorded by its CloudEvent id; afterwards
  each id is mapped to its stream position (the stored event's `by.event_id`), and its latency is
  the first sample at which the stage had reached that position minus the send time (so it
  includes up to one sample interval). acknowledged = the producer's callback.
- CPU cores: CPU seconds of each process over the case's wall seconds (from the first send
  until the views were at the head); waiting for a core: seconds its threads were runnable but
  not running (scheduler statistics), over the same seconds; CPU µs per event: its CPU seconds
  over the touchpoints. The workers, the broker, PostgreSQL and the bench's producer and watcher
  share the machine's cores (and so does anything else running on it).
"""
