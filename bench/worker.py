"""One measurement in a fresh process: ``python -m bench.worker CASE URL [options]``.

Prints one JSON line (events, touchpoints, seconds, start/end positions, own peak RSS). Only the
measured calls are timed; building the application, generating the next batch of submissions and
opening connections are not. The parent reads the process's peak RSS with os.wait4.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import resource
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from adapters.event_store import locate
from bench.data import submissions
from projections.views import fold
from services.bootstrap import Journey, bootstrap
from services.settings import Settings


class Timer:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.seconds += time.perf_counter() - start


def _journey(url: str, batch_size: int = 1000) -> Journey:
    return bootstrap(Settings(database_url=url, projector_batch_size=batch_size))


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(islice(items, size)):
        yield batch


def ingest(  # noqa: PLR0913 -- the case's sizes
    url: str, batch: int, touchpoints: int | None, events: int | None, seed: int, customers: int | None = None,
) -> dict:
    """JourneyService.ingest with ``batch`` touchpoints per call (1 = one call per touchpoint);
    ``customers``: that many customers' whole stories, with their consents and preferences."""
    journey, timer, sent = _journey(url), Timer(), 0
    try:
        start = journey.service.head()
        stream = submissions(seed, max_touchpoints=touchpoints, max_events=events, customers=customers,
                             with_rights=customers is not None)
        last_at = None
        for chunk in _batches(stream, batch):
            timer(journey.service.ingest, chunk)
            sent += len(chunk)
            last_at = chunk[-1].time
        end = journey.service.head()
    finally:
        journey.close()
    return {"events": end - start, "touchpoints": sent, "seconds": timer.seconds,
            "start": start, "end": end, "last_at": None if last_at is None else last_at.isoformat()}


class Touchpoint(Aggregate):
    """A plain aggregate, as in the library's getting-started examples."""

    @event("Recorded")
    def __init__(self, customer_id: str, kind: str, detail: str, at: datetime) -> None:
        self.customer_id = customer_id
        self.kind = kind
        self.detail = detail
        self.at = at


def library(url: str, events: int, per_save: int) -> dict:
    """The library's way: Application.save() of new plain aggregates, ``per_save`` at a time."""
    app, timer = Application(env=locate(url).env), Timer()
    try:
        for first in range(0, events, per_save):
            aggregates = [
                Touchpoint(f"C{i // 8:07d}", "touchpoint", f"touchpoint {i} of the shop", datetime.now(UTC))
                for i in range(first, min(first + per_save, events))
            ]
            timer(app.save, *aggregates)
        end = app.recorder.max_notification_id() or 0
    finally:
        app.close()
    return {"events": end, "touchpoints": events, "seconds": timer.seconds, "start": 0, "end": end}


def catch_up(url: str, batch_size: int) -> dict:
    """Projector.catch_up from an empty read store to the head of the stream."""
    journey, timer = _journey(url, batch_size), Timer()
    try:
        start, head = journey.projector.position(), journey.service.head()
        end = timer(journey.projector.catch_up)
    finally:
        journey.close()
    return {"events": end - start, "seconds": timer.seconds, "start": start, "end": end, "head": head}


def catch_up_per_event(url: str, limit: int | None, page: int = 1000) -> dict:
    """What eventsourcing's ProjectionRunner does with a Projection: one read-store transaction
    per event (notifications are still read in pages). Stops after ``limit`` events when given:
    the rate of this way does not depend on how far it got."""
    journey, timer = _journey(url), Timer()
    app, store = journey.service.app, journey.store

    def run() -> int:
        position = journey.projector.position()
        stop = None if limit is None else position + limit
        while notifications := app.recorder.select_notifications(
            start=position, limit=page, stop=stop, inclusive_of_start=False
        ):
            for n in notifications:
                store.project(app.name, [(app.mapper.to_domain_event(n), n.id)], fold)
            position = notifications[-1].id
        return position

    try:
        start, head = journey.projector.position(), journey.service.head()
        end = timer(run)
    finally:
        journey.close()
    return {"events": end - start, "seconds": timer.seconds, "start": start, "end": end,
            "head": head if limit is None else min(head, start + limit)}


def read_only(url: str, batch_size: int) -> dict:
    """Reading and decoding the notification log in pages, projecting nothing: the ceiling (as
    the rebuild decodes: a page at a time, the collector set as while rebuilding)."""
    from services.rebuild import fewer_collections  # noqa: PLC0415

    journey, timer = _journey(url, batch_size), Timer()
    app = journey.service.app

    def run() -> int:
        with fewer_collections():
            return read_all()

    def read_all() -> int:
        position = 0
        while page := app.recorder.select_notifications(
            start=position, limit=batch_size, inclusive_of_start=False
        ):
            app.mapper.to_domain_events(page)  # as the projectors and the rebuild decode a page
            position = page[-1].id
        return position

    try:
        end = timer(run)
    finally:
        journey.close()
    return {"events": end, "seconds": timer.seconds, "start": 0, "end": end}


def rebuild_views(url: str, page_size: int) -> dict:
    """A full rebuild of every view (services/rebuild.py): new tables filled from the stream,
    then switched in; the views need not have been projected before."""
    from services.rebuild import rebuild  # noqa: PLC0415

    journey, timer = _journey(url, page_size), Timer()
    try:
        head = journey.service.head()
        done = timer(lambda: rebuild(journey, page_size=page_size))
    finally:
        journey.close()
    return {"events": done.events, "seconds": timer.seconds, "start": 0, "end": done.position, "head": head}


def as_of_reads(url: str, reads: int, seed: int) -> dict:
    """``reads`` past views of random customers (billing, as of a random position at or after the
    customer's registration): each folded from that customer's events alone. Latencies in ms."""
    import random  # noqa: PLC0415

    from domain.errors import UnknownError  # noqa: PLC0415
    from services.reads import AsOf  # noqa: PLC0415

    journey = _journey(url)
    rng = random.Random(seed)  # noqa: S311 -- which customers to read, not a secret
    try:
        head = journey.service.head()
        with journey.store.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT DISTINCT customer_id FROM {journey.store.docs} WHERE kind = 'customer'")  # noqa: S608
            customers = sorted(row["customer_id"] for row in c.fetchall())
        latencies, events = [], 0
        for customer in rng.sample(customers, min(reads, len(customers))):
            position = rng.randint(head // 2, head)
            started = time.perf_counter()
            try:
                journey.reads.billing(customer, as_of=AsOf(position))
            except UnknownError:  # registered after the position: a 404, also timed
                pass
            latencies.append((time.perf_counter() - started) * 1000)
            events += 1
    finally:
        journey.close()
    latencies.sort()
    return {"events": events, "seconds": sum(latencies) / 1000, "start": 0, "end": head, "customers": len(customers),
            "p50_ms": latencies[len(latencies) // 2], "p99_ms": latencies[int(len(latencies) * 0.99)],
            "max_ms": latencies[-1]}


def campaign(url: str, name: str, today: str, dry_run: bool) -> dict:
    """One run of the campaign policy ``name`` (services/campaigns.py) on ``today``, the clock
    fixed at its noon, on views caught up first (not timed); ``dry_run`` evaluates only."""
    from datetime import UTC, date, datetime, time  # noqa: PLC0415

    from domain.campaigns import CampaignSettings  # noqa: PLC0415
    from services.campaigns import Campaigns, load_affinity  # noqa: PLC0415

    day = date.fromisoformat(today)
    journey = bootstrap(Settings(database_url=url, clock=datetime.combine(day, time(12), tzinfo=UTC)))
    timer = Timer()
    try:
        journey.catch_up_views()
        head = journey.service.head()
        with journey.store.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT count(*) AS n FROM {journey.store.docs} WHERE view = 'customers'")  # noqa: S608
            customers = c.fetchone()["n"]
        campaigns = Campaigns(journey, CampaignSettings(top_event="bench-gala"), load_affinity(None))
        report = timer(lambda: campaigns.run(name, day, dry_run=dry_run))
    finally:
        journey.close()
    return {"events": customers, "seconds": timer.seconds, "start": 0, "end": head, "report": report.as_json(),
            "today": today}


def verify_store(url: str) -> dict:
    """``journey verify`` without a checkpoint: the hash chain, the views rebuilt in scratch
    tables and compared, every decision checked again."""
    from services.verification import verify  # noqa: PLC0415

    journey, timer = _journey(url), Timer()
    try:
        head = journey.service.head()
        report = timer(verify, journey)
    finally:
        journey.close()
    if not report.ok:
        raise RuntimeError(f"the store does not verify: {report.to_text()}")
    checks = {c.name: c.checked for c in report.checks}
    return {"events": head, "seconds": timer.seconds, "start": 0, "end": head, "checks": checks}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("case", choices=[
        "ingest", "library", "catch-up", "catch-up-per-event", "read", "rebuild", "as-of", "verify", "campaign"])
    parser.add_argument("url")
    parser.add_argument("--batch", type=int, default=1, help="touchpoints per ingest call / events per save")
    parser.add_argument("--touchpoints", type=int)
    parser.add_argument("--events", type=int)
    parser.add_argument("--batch-size", type=int, default=1000, help="projector page size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, help="ingest: that many customers with their contact rights")
    parser.add_argument("--policy", help="campaign: the policy to run")
    parser.add_argument("--today", help="campaign: the day to run on (YYYY-MM-DD)")
    parser.add_argument("--dry-run", action="store_true", help="campaign: evaluate only")
    parser.add_argument("--profile", help="write cProfile stats of the measured run to this file")
    args = parser.parse_args(argv)
    run: Callable[[], dict] = {
        "ingest": lambda: ingest(args.url, args.batch, args.touchpoints, args.events, args.seed, args.customers),
        "library": lambda: library(args.url, args.events, args.batch),
        "catch-up": lambda: catch_up(args.url, args.batch_size),
        "catch-up-per-event": lambda: catch_up_per_event(args.url, args.events),
        "read": lambda: read_only(args.url, args.batch_size),
        "rebuild": lambda: rebuild_views(args.url, args.batch_size),
        "as-of": lambda: as_of_reads(args.url, args.events or 200, args.seed),
        "verify": lambda: verify_store(args.url),
        "campaign": lambda: campaign(args.url, args.policy, args.today, args.dry_run),
    }[args.case]
    if args.profile:
        profiler = cProfile.Profile()
        result = profiler.runcall(run)
        profiler.dump_stats(args.profile)
    else:
        result = run()
    result["rss_self_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
