"""``journey loyalty expire [--today DAY]``: let every card holder's points past their expiry go
(a daily job; a second run the same day records nothing)."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time
from typing import Any

from services.settings import get_settings


def expire_points(args: argparse.Namespace) -> None:
    from domain import commands as c  # noqa: PLC0415 -- wires the store only when a command runs
    from domain.errors import DomainError  # noqa: PLC0415
    from domain.values import Department, Principal  # noqa: PLC0415
    from services.bootstrap import bootstrap  # noqa: PLC0415
    from services.clock import FixedClock  # noqa: PLC0415
    from services.handlers import ALL, LOYALTY_MEMBERS  # noqa: PLC0415

    settings = get_settings()
    clock = FixedClock(datetime.combine(date.fromisoformat(args.today), time(0, 5), tzinfo=UTC)) if args.today else None
    journey = bootstrap(settings, clock)
    try:
        members = journey.service.linked(LOYALTY_MEMBERS, ALL)
        by = Principal(Department.MARKETING, user="loyalty-expiry")
        results = journey.service.execute_many([(c.ExpirePoints(m), by) for m in members])
    finally:
        journey.close()
    expired = [r for r in results if not isinstance(r, DomainError)]
    failed = [r for r in results if isinstance(r, DomainError) and r.code != "nothing-to-expire"]
    print(f"{len(members)} card holders: points expired on {len(expired)} cards" +
          (f"; {len(failed)} failed: {failed[0]}" if failed else ""))
    if failed:
        raise SystemExit(1)


def add_parsers(commands: Any) -> None:
    parser = commands.add_parser("loyalty", help="the loyalty card's daily jobs")
    sub = parser.add_subparsers(dest="loyalty_command", required=True)
    expire = sub.add_parser("expire", help="let the points past their expiry go, on every card")
    expire.add_argument("--today", help="the day to expire as of (YYYY-MM-DD; default: the clock's)")
    expire.set_defaults(run=expire_points)
