"""Dates are bounded: a deferral lasts at most the policy's maximum, and a touchpoint's business
time lies neither long before nor ahead of the service's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.dates import check_event_time
from domain.errors import DomainError, TimeOutOfRangeError
from domain.holds import DunningPolicy
from tests.unit.builders import AT, BOB, TODAY, days_after

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
AGE, SKEW = timedelta(days=3650), timedelta(seconds=300)


def test_a_deferral_may_last_up_to_the_policys_maximum(invoice):
    invoice.grant_deferral(until=days_after(TODAY, 90), reason="long trip", policy=DunningPolicy(), at=AT, by=BOB)

    assert [d.until for d in invoice.deferrals] == [days_after(TODAY, 90)]


def test_a_deferral_longer_than_the_maximum_is_refused(invoice):
    with pytest.raises(DomainError, match="at most 90 days") as refused:
        invoice.grant_deferral(
            until=days_after(TODAY, 91), reason="next year", policy=DunningPolicy(), at=AT, by=BOB
        )

    assert refused.value.code == "deferral-too-long"
    assert invoice.collect_events() == []


def test_the_deferral_maximum_comes_from_the_policy(invoice):
    short = DunningPolicy(max_deferral=timedelta(days=7))

    with pytest.raises(DomainError, match="at most 7 days"):
        invoice.grant_deferral(until=days_after(TODAY, 8), reason="a week and a day", policy=short, at=AT, by=BOB)
    invoice.grant_deferral(until=days_after(TODAY, 7), reason="a week", policy=short, at=AT, by=BOB)


@pytest.mark.parametrize("at", [NOW, NOW - AGE, NOW + SKEW, NOW - timedelta(days=1)])
def test_an_event_time_within_the_bounds_is_accepted(at):
    check_event_time(at, NOW, max_age=AGE, max_skew=SKEW)


@pytest.mark.parametrize(
    "at", [NOW - AGE - timedelta(seconds=1), NOW + SKEW + timedelta(seconds=1), datetime(1, 1, 1, tzinfo=UTC)]
)
def test_an_event_time_too_old_or_too_far_ahead_is_refused_naming_the_range(at):
    with pytest.raises(TimeOutOfRangeError) as refused:
        check_event_time(at, NOW, max_age=AGE, max_skew=SKEW)

    assert refused.value.code == "time-out-of-range"
    assert (refused.value.earliest, refused.value.latest) == (NOW - AGE, NOW + SKEW)
    assert NOW.isoformat() not in str(refused.value)  # it names the range, not the clock
    assert (NOW - AGE).isoformat() in str(refused.value) and (NOW + SKEW).isoformat() in str(refused.value)
