"""The HTTP section of the report: the figures, the issue's aims beside them, as Markdown."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from bench import report
from bench.http_cases import HttpResult
from bench.runner import Result


@dataclass(frozen=True)
class Aim:
    """One aim of the issue: which case on which store, how it is judged, as printed."""

    case: str  # how HttpResult.case starts: batch, single, write-to-visible, burst
    store: str
    text: str
    met: Callable[[HttpResult, Result | None], bool | None]  # None: cannot be judged


def _ratio(result: HttpResult, library: Result | None) -> float | None:
    return result.rate / library.rate if library and library.rate else None


def _at_least(value: float | None, goal: float) -> bool | None:
    return None if value is None else value >= goal


AIMS = (
    Aim("batch", "postgres", ">= 8,000 touchpoints/s", lambda r, _: r.rate >= 8_000),
    Aim("batch", "postgres", ">= 0.8x the library's 100 events/save",
        lambda r, lib: _at_least(_ratio(r, lib), 0.8)),
    Aim("single", "postgres", ">= 1,500 events/s", lambda r, _: r.rate >= 1_500),
    Aim("write-to-visible", "postgres", "p99 <= 50 ms",
        lambda r, _: None if r.extra.get("p99_ms") is None else r.extra["p99_ms"] <= 50),
    Aim("burst", "postgres", "views at the head within 2 s of the last write",
        lambda r, _: r.extra.get("caught_up_s") is not None and r.extra["caught_up_s"] <= 2),
    Aim("batch", "sqlite", ">= 15,000 touchpoints/s", lambda r, _: r.rate >= 15_000),
)


def _n(value: float | int | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _verdicts(result: HttpResult, library: Result | None) -> list[str]:
    out = []
    for aim in AIMS:
        if aim.store == result.store and result.case.startswith(aim.case):
            met = aim.met(result, library)
            out.append(f"{aim.text}: " + ("met" if met else "MISSED" if met is False else "not judged"))
    return out


def _cpu(result: HttpResult) -> str:
    return " / ".join(f"{result.cpu[k]:.2f}" if k in result.cpu else "-" for k in ("server", "postgres", "client"))


def _errors(result: HttpResult) -> str:
    return ", ".join(f"{n:,} x {status}" for status, n in sorted(result.errors.items())) or "none"


def table(libraries: Sequence[Result], results: Sequence[HttpResult | str]) -> Iterator[str]:
    by_store = {lib.store: lib for lib in libraries}
    yield ("| case | store | count | seconds | per second | p50 ms | p99 ms | vs library 100/save "
           "| errors | CPU cores: server / postgres / client | aims |")
    yield "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|"
    for lib in libraries:
        yield (f"| {lib.case} | {lib.store} | {lib.events:,} events | {lib.seconds:.2f} | {lib.rate:,.0f} "
               f"|  |  | baseline | none |  |  |")
    for result in results:
        if isinstance(result, str):
            yield f"| {result} |  |  |  |  |  |  |  |  |  |  |"
            continue
        lib = by_store.get(result.store)
        ratio = _ratio(result, lib) if result.case.startswith(("batch", "burst")) else None
        yield (f"| {result.case} | {result.store} | {result.count:,} | {result.seconds:.2f} | {result.rate:,.0f} "
               f"| {_n(result.extra.get('p50_ms'), 1)} | {_n(result.extra.get('p99_ms'), 1)} "
               f"| {'' if ratio is None else f'{ratio:.2f}x'} | {_errors(result)} | {_cpu(result)} "
               f"| {'; '.join(_verdicts(result, lib))} |")


def burst_table(results: Sequence[HttpResult | str]) -> Iterator[str]:
    yield ("| store | touchpoints acknowledged | posted in s | touchpoints/s | lag at the last ack (positions) "
           "| views at the head after | views drained positions/s | aim |")
    yield "|---|---:|---:|---:|---:|---|---:|---|"
    for r in results:
        if isinstance(r, str) or not r.case.startswith("burst"):
            continue
        x = r.extra
        caught = (f"{x['caught_up_s']:.2f} s" if x["caught_up_s"] is not None
                  else f"not within {x['catch_up_bound']} s ({x['lag_left']:,} positions left)")
        aims = "; ".join(_verdicts(r, None)) or "(none on this store)"
        yield (f"| {r.store} | {r.count:,} | {r.seconds:.2f} | {r.rate:,.0f} | {x['lag_at_ack']:,} | {caught} "
               f"| {_n(x['drain_rate'])} | {aims} |")


def latency_table(results: Sequence[HttpResult | str]) -> Iterator[str]:
    yield ("| store | writes/s asked | writes/s done | write answered p50 / p99 ms | visible p50 / p99 ms "
           "| start later than its slot, p99 ms |")
    yield "|---|---:|---:|---|---|---:|"
    for r in results:
        if isinstance(r, str) or not r.case.startswith("write-to-visible"):
            continue
        x = r.extra
        yield (f"| {r.store} | {x['target_rate']:,.0f} | {r.rate:,.0f} | {_n(x['write_p50_ms'], 1)} / "
               f"{_n(x['write_p99_ms'], 1)} | {_n(x['p50_ms'], 1)} / {_n(x['p99_ms'], 1)} | {_n(x['late_p99_ms'], 1)} |")


def section(described: Sequence[str], sizes: dict[str, object], libraries: Sequence[Result],
            results: Sequence[HttpResult | str]) -> Iterator[str]:
    yield "## Over HTTP, against `journey serve`"
    yield ""
    yield from (f"- server on: {d}" for d in described)
    yield "- sizes: " + ", ".join(f"{k}={v}" for k, v in sizes.items())
    yield report.load()
    workers = os.environ.get("BENCH_HTTP_WORKERS", "1")
    how = ("projecting in-process, the default" if workers == "1"
           else f"`--workers {workers}`: API processes, the supervising process projects; CPU is theirs together")
    yield (f"- every case starts its own `journey serve` ({how}) on a fresh "
           "database; the clients run in the benchmark's process on the same cores")
    yield ""
    yield from table(libraries, results)
    yield ""
    yield "### Write-to-visible"
    yield ""
    yield from latency_table(results)
    yield ""
    yield "### Burst and catch-up"
    yield ""
    yield from burst_table(results)
    yield ""
    yield NOTES


NOTES = """\
Notes
- count: touchpoints acknowledged (2xx) by the server; per second = count / seconds, seconds from
  the first request to the last answer. Errors are answers other than 2xx, counted by status.
- write-to-visible: count = writes whose read showed them; latency runs from the start of the
  write to the answer of `GET /customers/{id}/journey?min_position=<its position>` (reads answered
  503 are asked again and the latency includes the wait).
- burst: lag = head - view position, read right after the last acknowledgement; the views are
  at the head once their position reaches the last acknowledged position.
- CPU cores: CPU seconds over the case's wall seconds of the server process, of PostgreSQL's
  backends (when the cluster is the benchmark's own) and of the benchmark's client threads.
- vs library: touchpoints/s over the library's events/s at 100 events per save on the same store.
"""
