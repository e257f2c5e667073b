"""The campaign cases of ``make bench`` (alone: ``python -m bench campaigns``): on each store, N
generated customers with their whole stories and contact rights, the views caught up, then one
run of each campaign policy in turn (services/campaigns.py), each in its own fresh process with
its peak RSS; the same on a store of N/4 customers shows whether memory grows with N.

Sizes come from the environment:
  BENCH_CAMPAIGN_CUSTOMERS   customers in the store (default 100000; ingesting them takes
                             minutes: shrink it for a trial run)
  BENCH_CAMPAIGN_RECORDED    0: evaluate only, skip the recorded runs (each contact a command:
                             about 7 minutes for reactivation at 100,000 on PostgreSQL)
  BENCH_STORES, BENCH_SEED, BENCH_PROFILE_DIR, JOURNEY_BENCH_DATABASE_URL as for the other cases.

Reactivation runs 190 days after the stream's last touchpoint (every customer is dormant then:
its worst case); the other policies on the day after it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

from bench import report
from bench.runner import Result, env_int
from bench.stores import Stores, on_each_store, run_case
from domain.campaigns import POLICIES, REACTIVATION

CUSTOMERS = env_int("BENCH_CAMPAIGN_CUSTOMERS", 100_000)
RECORDED = env_int("BENCH_CAMPAIGN_RECORDED", 1) != 0
SEED = env_int("BENCH_SEED", 1)
SECONDS_AIM = 10.0  # each policy over 100,000 customers on PostgreSQL
FLAT_AIM = 1.5  # peak RSS at N over peak RSS at N/4: "flat in the number of customers"
AIM_CUSTOMERS = 100_000

Measured = tuple[list[tuple[Result, Result | None]], list[tuple[Result, Result | None]]]  # (evaluated, recorded) at N, N/4


def _policies(stores: Stores, url: str, size: int, last_day: date) -> list[tuple[Result, Result | None]]:
    """Every policy in turn on the one store, evaluated (a dry run), then run (a policy's
    contacts count in the next one's caps, as in a real day)."""
    found = []
    for policy in POLICIES:
        today = (last_day + timedelta(days=190 if policy == REACTIVATION else 1)).isoformat()
        args = ["campaign", url, "--policy", policy, "--today", today]
        evaluated = run_case(stores, f"{policy} over {size:,} customers, evaluated", "campaign",
                             f"campaign-{policy}-{size}-dry", [*args, "--dry-run"])
        recorded = run_case(stores, f"{policy} over {size:,} customers, recorded", "campaign",
                            f"campaign-{policy}-{size}", args) if RECORDED else None
        found.append((evaluated, recorded))
    return found


def bench_store(stores: Stores) -> Measured:
    """Two stores (N and N/4 customers), each caught up once, then every policy."""
    results: list[list[tuple[Result, Result | None]]] = []
    for size in (CUSTOMERS, max(CUSTOMERS // 4, 1)):
        url = stores.new(f"customers_{size}")
        ingested = run_case(stores, f"ingest {size:,} customers (setup)", "ingest", f"campaign-ingest-{size}",
                            ["ingest", url, "--customers", str(size), "--batch", "250", "--seed", str(SEED)])
        run_case(stores, "catch-up (setup)", "catch-up", f"campaign-catch-up-{size}", ["catch-up", url])
        results.append(_policies(stores, url, size, datetime.fromisoformat(ingested.raw["last_at"]).date()))
    return results[0], results[1]


def run(labels: Sequence[str]) -> tuple[list[str], list[Measured]]:
    return on_each_store(labels, "campaigns", bench_store)


def _aims(at_n: Result, at_quarter: Result) -> str:
    growth = at_n.peak_rss_mib / at_quarter.peak_rss_mib if at_quarter.peak_rss_mib else 0.0
    flat = f"memory N / (N/4) {growth:.2f}x <= {FLAT_AIM}: {'met' if growth <= FLAT_AIM else 'MISSED'}"
    if at_n.store != "postgres":
        return flat
    at_aim = at_n.seconds * AIM_CUSTOMERS / max(at_n.events, 1)
    scaled = "" if at_n.events == AIM_CUSTOMERS else f", scaled from {at_n.events:,}"
    return f"< {SECONDS_AIM:.0f} s at 100,000: {'met' if at_aim < SECONDS_AIM else 'MISSED'} ({at_aim:,.1f} s{scaled}); {flat}"


def _row(kind: str, big: Result, small: Result, aims: str) -> str:
    r = big.raw["report"]
    return (f"| {r['policy']} ({big.raw['today']}) | {kind} | {big.store} | {big.events:,} | {r['customers']:,} "
            f"| {r['proposed']:,} | {r['made']:,} | {r['refused']:,} | {r['waiting']:,} | {big.seconds:,.2f} "
            f"| {big.rate:,.0f} | {big.peak_rss_mib:,.1f} (N/4: {small.peak_rss_mib:,.1f}) | {aims} |")


def section(described: Sequence[str], results: Sequence[Measured]) -> Iterator[str]:
    yield "## Campaign policies"
    yield ""
    yield from (f"- store: {d}" for d in described)
    yield f"- sizes: N={CUSTOMERS:,} customers (BENCH_CAMPAIGN_CUSTOMERS) and N/4, seed={SEED}"
    yield report.load()
    yield ""
    yield ("| policy (day) | run | store | customers | candidates | proposed | made | refused | waiting | seconds "
           "| customers/s | peak RSS MiB | aims |")
    yield "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for at_n, at_quarter in results:
        for (evaluated, recorded), (small_evaluated, small_recorded) in zip(at_n, at_quarter, strict=True):
            yield _row("evaluated", evaluated, small_evaluated, _aims(evaluated, small_evaluated))
            if recorded is not None and small_recorded is not None:
                yield _row("recorded", recorded, small_recorded, _aims(recorded, small_recorded))
    yield ""
    yield ("Evaluated: finding the policy's customers, reading what the contact rule needs of them a thousand "
           "at a time (the next thousand meanwhile), choosing the channel and asking the contact rule (a dry run, "
           "nothing recorded). Recorded: the "
           "same, then every proposal through the contact rule as a command (made or refused), committed by the "
           "group writer a thousand at a time. Customers/s is the store's customers over the seconds. The aim "
           "(every policy over 100,000 customers in under 10 s on PostgreSQL) is the evaluation's; the recorded "
           "row shows the cost of the writes on top.")
