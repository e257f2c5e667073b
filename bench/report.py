"""Machine facts, the results table and the memory-flatness table, as Markdown."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version

from bench.runner import Result

INGEST_TARGET = 15_000  # stored events/s, batch ingest into PostgreSQL
CATCH_UP_TARGET = 20_000  # events/s per view
FLAT_WITHIN = 1.10  # peak RSS at 4N may be at most 10% above N to count as flat


@dataclass
class Row:
    result: Result
    baseline: Result | None = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline.rate:
            return None
        return self.result.rate / self.baseline.rate


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> list[str]:
    """What the figures were measured on, as Markdown list items."""
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return [
        f"- machine: {platform.machine()}, {cores} cores ({usable} usable), {_cpu_model()}, "
        f"{platform.system()} {platform.release()}",
        f"- python {platform.python_version()} ({sys.implementation.name}), eventsourcing "
        f"{version('eventsourcing')}, psycopg {version('psycopg')}, sqlite3 lib {sqlite3.sqlite_version}",
    ]


def load() -> str:
    return ("- load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
            + " (anything else running on the 2 cores skews the figures)")


def header(stores: Sequence[str], sizes: dict[str, object]) -> str:
    lines = [
        "# customer-journey benchmark",
        "",
        *machine(),
        *(f"- store: {s}" for s in stores),
        "- sizes: " + ", ".join(f"{k}={v}" for k, v in sizes.items()),
        load(),
        "- every row ran in its own fresh process; seconds time only the measured calls; "
        "peak RSS is the whole process's high-water mark (os.wait4)",
    ]
    return "\n".join(lines)


def _n(value: float | int | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def table(rows: Sequence[Row]) -> str:
    head = ("case", "store", "events", "seconds", "events/s", "touchpoints/s", "per view events/s",
            "vs baseline", "peak RSS MiB", "target")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---", "---"] + ["---:"] * 7 + ["---"]) + "|"]
    for row in rows:
        r = row.result
        per_view = r.rate if r.kind == "catch-up" else None
        ratio = "baseline" if row.baseline is r else (f"{row.ratio:.2f}x" if row.ratio else "")
        cells = (r.case, r.store, _n(r.events), _n(r.seconds, 2), _n(r.rate), _n(r.touchpoint_rate),
                 _n(per_view), ratio, _n(r.peak_rss_mib, 1), row.target)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def target(rate: float, goal: int, unit: str) -> str:
    verdict = "met" if rate >= goal else f"MISSED ({rate / goal:.0%} of it)"
    return f">= {goal:,} {unit}: {verdict}"


def memory_table(pairs: Sequence[tuple[Result, Result]], scale: int) -> str:
    big = f"{scale}N"
    lines = [
        f"| case | store | events N | events {big} | peak RSS N MiB | peak RSS {big} MiB | RSS ratio "
        f"| target: flat | events/s N | events/s {big} |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for small, large in pairs:
        ratio = large.peak_rss_mib / small.peak_rss_mib
        verdict = "met" if ratio <= FLAT_WITHIN else "MISSED"
        lines.append(
            f"| {small.case.split(' (')[0]} | {small.store} | {small.events:,} | {large.events:,} "
            f"| {small.peak_rss_mib:.1f} | {large.peak_rss_mib:.1f} | {ratio:.2f}x "
            f"| <= {FLAT_WITHIN:.2f}x: {verdict} | {small.rate:,.0f} | {large.rate:,.0f} |"
        )
    return "\n".join(lines)


NOTES = """\
Notes
- ingest rows: events = everything stored (one event per touchpoint; a cancellation also stores
  its credit note; idempotency keys are kept beside the stream); touchpoints/s = calls' worth of
  CloudEvents admitted. The PostgreSQL ingest target is judged on stored events/s.
- library rows: eventsourcing's Application.save() of plain new aggregates (one event each); the
  1 event/save row is the naive baseline of every ingest row on the same store, the 100/save row
  is a reference for what the store itself takes in batches.
- catch-up rows: the Projector folds every event into all three views (billing, support,
  journey) in the same pass and commits them with one tracking position, so each view receives
  every event of the stream: per view events/s = stream events/s (not 3x; the 3 views share the
  time). Baseline: the same fold driven the way eventsourcing's ProjectionRunner drives a
  Projection, one event per call, i.e. one read-store transaction per event.
- read row: paging and decoding the notification log without projecting: the ceiling of any
  single-process catch-up on that store.
"""
