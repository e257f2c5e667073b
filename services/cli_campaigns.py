"""``journey campaigns run [--policy NAME] [--today DAY] [--json]``: run the campaign policies once
(domain/campaigns.py, services/campaigns.py), each proposal checked by the contact rule and
recorded, made or refused; ``journey campaigns serve [--interval S]``: run them every S seconds
until stopped (SIGINT, SIGTERM). The views are caught up first, so a run reads the whole stream."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import date
from typing import Any

from domain.campaigns import POLICIES
from services.settings import get_settings


def _line(report: Any) -> str:
    reasons = ", ".join(f"{code} {n}" for code, n in sorted(report.reasons.items()))
    would = "would be " if report.dry_run else ""
    return (f"{report.policy} ({report.today}){' dry run' if report.dry_run else ''}: {report.customers} customers, "
            f"{report.proposed} proposed, {report.made} {would}made, {report.refused} {would}refused{f' ({reasons})' if reasons else ''}, "
            f"{report.waiting} waiting for the customer's quiet hours or cap, {report.decided_before} decided before; "
            f"{report.seconds:.2f} s")


def run_campaigns(args: argparse.Namespace) -> None:
    from domain.errors import DomainError  # noqa: PLC0415 -- wires the store only when a command runs
    from services.bootstrap import bootstrap  # noqa: PLC0415
    from services.campaigns import Campaigns  # noqa: PLC0415

    journey = bootstrap(get_settings())
    try:
        journey.catch_up_views()
        campaigns = Campaigns(journey)
        today = date.fromisoformat(args.today) if args.today else None
        try:
            names = [args.policy] if args.policy else list(POLICIES)
            reports = [campaigns.run(name, today, dry_run=args.dry_run) for name in names]
        except DomainError as error:
            raise SystemExit(f"campaigns not run: {error}") from None
    finally:
        journey.close()
    if args.json:
        print(json.dumps([r.as_json() for r in reports], indent=2))
    else:
        for report in reports:
            print(_line(report))


def serve_campaigns(args: argparse.Namespace) -> None:
    from services.bootstrap import bootstrap  # noqa: PLC0415
    from services.campaigns import serve  # noqa: PLC0415
    from services.cli import stop_on_signals  # noqa: PLC0415

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = stop_on_signals()
    journey = bootstrap(get_settings())
    journey.start_projecting()
    try:
        serve(journey, args.interval, stop, lambda report: logging.info("%s", _line(report)))
    finally:
        journey.close()


def add_parsers(commands: Any) -> None:
    parser = commands.add_parser("campaigns", help="run the campaign policies through the contact rule")
    sub = parser.add_subparsers(dest="campaigns_command", required=True)
    run = sub.add_parser("run", help="run the policies once")
    run.add_argument("--policy", choices=POLICIES, help="this policy only (default: all)")
    run.add_argument("--today", help="the day whose occasions to find (YYYY-MM-DD; default: the clock's); the "
                     "contact rule still checks and records each contact at the clock's time")
    run.add_argument("--json", action="store_true", help="the reports as JSON")
    run.add_argument("--dry-run", action="store_true", help="evaluate only: what would be made or refused, recording nothing")
    run.set_defaults(run=run_campaigns)
    serve = sub.add_parser("serve", help="run every policy every --interval seconds until stopped")
    serve.add_argument("--interval", type=float, default=3600.0, help="seconds between runs (default 3600)")
    serve.set_defaults(run=serve_campaigns)
