"""Bounds on business time: a touchpoint may not claim to have happened long ago or ahead of
the service's clock. The limits are arguments, so configuration stays outside the domain."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.errors import TimeOutOfRangeError


def check_event_time(at: datetime, now: datetime, *, max_age: timedelta, max_skew: timedelta) -> None:
    """Refuse a business time ``at`` more than ``max_age`` before ``now`` or more than
    ``max_skew`` after it (a sender's clock may run a little ahead, not days)."""
    earliest, latest = now - max_age, now + max_skew
    if not earliest <= at <= latest:
        raise TimeOutOfRangeError(
            f"time {at.isoformat()} is outside the accepted range "
            f"{earliest.isoformat()} .. {latest.isoformat()}",
            earliest,
            latest,
        )
