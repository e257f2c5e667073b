"""The hold rule (domain.holds): when an invoice may be dunned or handed to collection."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.holds import (
    FINAL_DUNNING_LEVEL,
    Deferral,
    DunningPolicy,
    Hold,
    HoldKind,
    InvoiceStanding,
    Refusal,
    active_holds,
    dunning_refusals,
    earliest_step_day,
)
from tests.unit.builders import DUE, days_after

POLICY = DunningPolicy()
DAY_AFTER_DUE = days_after(DUE, 1)
DEFERRAL = Deferral(until=date(2026, 4, 1), reason="salary comes on the 1st", granted_by="billing:bob")


def overdue(**facts) -> InvoiceStanding:
    """An unpaid invoice of 100.00 due on DUE, with no hold and never dunned."""
    return replace(InvoiceStanding(due_date=DUE, balance=Decimal("100.00")), **facts)


def codes(refusals: list[Refusal]) -> list[str]:
    return [r.code for r in refusals]


# Due date ---------------------------------------------------------------------------------


@pytest.mark.parametrize("today", [days_after(DUE, -10), days_after(DUE, -1), DUE])
def test_dunning_is_refused_until_and_including_the_due_date(today):
    refusals = dunning_refusals(overdue(), today, POLICY)

    assert codes(refusals) == ["not-due"]
    assert refusals[0].detail == "the invoice is not overdue before 2026-03-15"
    assert refusals[0].hold is None
    assert dunning_refusals(overdue(), today, POLICY)


def test_dunning_is_allowed_the_day_after_the_due_date():
    assert dunning_refusals(overdue(), DAY_AFTER_DUE, POLICY) == []
    assert dunning_refusals(overdue(), DAY_AFTER_DUE, POLICY) == []


# Each kind of hold --------------------------------------------------------------------------


def test_dunning_is_refused_while_a_detailed_invoice_request_is_unanswered():
    standing = overdue(open_detailed_requests=("please itemise the shipping",))

    refusals = dunning_refusals(standing, DAY_AFTER_DUE, POLICY)

    hold = Hold(HoldKind.DETAILED_INVOICE_REQUESTED, "please itemise the shipping")
    assert refusals == [
        Refusal(
            "hold:detailed-invoice-requested",
            "hold: detailed-invoice-requested (please itemise the shipping)",
            hold,
        )
    ]


def test_dunning_is_refused_while_a_deferral_is_promised():
    standing = overdue(deferrals=(DEFERRAL,))

    refusals = dunning_refusals(standing, DAY_AFTER_DUE, POLICY)

    assert codes(refusals) == ["hold:payment-deferral"]
    assert refusals[0].hold == Hold(
        HoldKind.PAYMENT_DEFERRAL, "salary comes on the 1st (granted by billing:bob)", date(2026, 4, 1)
    )


def test_a_deferral_still_holds_on_its_last_day():
    standing = overdue(deferrals=(DEFERRAL,))

    assert [h.kind for h in active_holds(standing, DEFERRAL.until)] == [HoldKind.PAYMENT_DEFERRAL]
    assert codes(dunning_refusals(standing, DEFERRAL.until, POLICY)) == ["hold:payment-deferral"]


def test_a_deferral_no_longer_holds_the_day_after_its_last_day():
    standing = overdue(deferrals=(DEFERRAL,))
    day_after = days_after(DEFERRAL.until, 1)

    assert active_holds(standing, day_after) == []
    assert dunning_refusals(standing, day_after, POLICY) == []


def test_only_the_deferrals_not_yet_expired_hold():
    expired = Deferral(until=date(2026, 3, 20), reason="first promise", granted_by="support:sue")
    standing = overdue(deferrals=(expired, DEFERRAL))

    holds = active_holds(standing, date(2026, 3, 25))

    assert [h.until for h in holds] == [date(2026, 4, 1)]


def test_dunning_is_refused_while_the_invoice_is_disputed():
    standing = overdue(open_dispute="amount does not match the offer")

    refusals = dunning_refusals(standing, DAY_AFTER_DUE, POLICY)

    assert refusals == [
        Refusal(
            "hold:dispute",
            "hold: dispute (amount does not match the offer)",
            Hold(HoldKind.DISPUTE, "amount does not match the offer"),
        )
    ]


def test_dunning_is_refused_while_a_complaint_is_open_on_the_invoiced_order():
    standing = overdue(open_complaints=("K-7",))

    refusals = dunning_refusals(standing, DAY_AFTER_DUE, POLICY)

    assert refusals == [
        Refusal("hold:complaint", "hold: complaint (complaint K-7)", Hold(HoldKind.COMPLAINT, "complaint K-7", ref="K-7"))
    ]


def test_every_active_hold_is_named_when_several_apply():
    # given an overdue invoice with every kind of hold, two of them complaints
    standing = overdue(
        open_detailed_requests=("itemise",),
        deferrals=(DEFERRAL,),
        open_dispute="wrong amount",
        open_complaints=("K-1", "K-2"),
    )

    # when the next dunning step is checked
    refusals = dunning_refusals(standing, DAY_AFTER_DUE, POLICY)

    # then each hold is a refusal of its own, in a stable order
    assert codes(refusals) == [
        "hold:detailed-invoice-requested",
        "hold:payment-deferral",
        "hold:dispute",
        "hold:complaint",
        "hold:complaint",
    ]
    assert [r.hold.cause for r in refusals] == [
        "itemise",
        "salary comes on the 1st (granted by billing:bob)",
        "wrong amount",
        "complaint K-1",
        "complaint K-2",
    ]
    assert active_holds(standing, DAY_AFTER_DUE) == [r.hold for r in refusals]


def test_rule_refusals_and_holds_are_reported_together():
    standing = overdue(open_complaints=("K-1",), dunning_level=1, last_dunning_on=DUE)

    refusals = dunning_refusals(standing, DUE, POLICY)

    assert codes(refusals) == ["not-due", "interval-not-elapsed", "hold:complaint"]


# Levels and interval ------------------------------------------------------------------------


def test_dunning_levels_advance_one_by_one_up_to_the_final_notice():
    # given an overdue invoice that is dunned every 14 days
    standing = overdue()
    today = DAY_AFTER_DUE
    reached = []

    # when billing dunned it whenever the rule allowed, three times
    for _ in range(FINAL_DUNNING_LEVEL):
        assert dunning_refusals(standing, today, POLICY) == []
        standing = replace(standing, dunning_level=standing.dunning_level + 1, last_dunning_on=today)
        reached.append(standing.dunning_level)
        today += timedelta(days=14)

    # then the levels were 1, 2, 3 and a fourth step is refused, however late
    assert reached == [1, 2, 3]
    assert codes(dunning_refusals(standing, today, POLICY)) == ["final-level-reached"]
    assert codes(dunning_refusals(standing, today + timedelta(days=365), POLICY)) == [
        "final-level-reached"
    ]


def test_the_default_policy_waits_fourteen_days_between_steps():
    assert DunningPolicy().min_interval == timedelta(days=14)


@pytest.mark.parametrize(
    ("policy", "last_refused_day", "first_allowed_day"),
    [(DunningPolicy(), 13, 14), (DunningPolicy(min_interval=timedelta(days=7)), 6, 7)],
    ids=["default-14-days", "custom-7-days"],
)
def test_the_next_step_waits_the_minimum_interval(policy, last_refused_day, first_allowed_day):
    last = date(2026, 3, 20)
    standing = overdue(dunning_level=1, last_dunning_on=last)

    refused = dunning_refusals(standing, days_after(last, last_refused_day), policy)
    allowed = dunning_refusals(standing, days_after(last, first_allowed_day), policy)

    earliest = days_after(last, first_allowed_day)
    assert refused == [Refusal("interval-not-elapsed", f"the next step is allowed from {earliest}")]
    assert allowed == []


def test_a_shorter_custom_interval_allows_what_the_default_refuses():
    standing = overdue(dunning_level=1, last_dunning_on=date(2026, 3, 20))
    day_13 = date(2026, 4, 2)

    assert dunning_refusals(standing, day_13, DunningPolicy())
    assert dunning_refusals(standing, day_13, DunningPolicy(min_interval=timedelta(days=7))) == []


# Hand-off and closed invoices ---------------------------------------------------------------


@pytest.mark.parametrize("level", [0, 1, 2])
def test_hand_off_to_collection_is_refused_before_the_final_notice(level):
    standing = overdue(dunning_level=level, last_dunning_on=DUE if level else None)

    refusals = dunning_refusals(standing, date(2026, 6, 1), POLICY, hand_off=True)

    assert refusals == [Refusal("final-notice-missing", "dunning level 3 is not reached")]


def test_hand_off_to_collection_is_allowed_after_the_final_notice():
    standing = overdue(dunning_level=3, last_dunning_on=date(2026, 4, 13))

    assert dunning_refusals(standing, date(2026, 4, 27), POLICY, hand_off=True) == []


def test_hand_off_waits_the_minimum_interval_after_the_final_notice():
    standing = overdue(dunning_level=3, last_dunning_on=date(2026, 4, 13))

    refusals = dunning_refusals(standing, date(2026, 4, 26), POLICY, hand_off=True)

    assert codes(refusals) == ["interval-not-elapsed"]


def test_hand_off_is_held_like_a_dunning_step():
    standing = overdue(dunning_level=3, last_dunning_on=date(2026, 4, 13), open_complaints=("K-1",))

    refusals = dunning_refusals(standing, date(2026, 6, 1), POLICY, hand_off=True)

    assert codes(refusals) == ["hold:complaint"]


@pytest.mark.parametrize("balance", ["0", "0.00", "-5.00"])
def test_a_paid_invoice_is_never_dunned(balance):
    standing = overdue(balance=Decimal(balance))

    refusals = dunning_refusals(standing, DAY_AFTER_DUE, POLICY)

    assert refusals == [Refusal("settled", "the invoice is settled")]


def test_a_paid_invoice_is_not_handed_to_collection():
    standing = overdue(balance=Decimal(0), dunning_level=3, last_dunning_on=DUE)

    refusals = dunning_refusals(standing, date(2026, 6, 1), POLICY, hand_off=True)

    assert codes(refusals) == ["settled"]


def test_an_invoice_already_with_collection_is_not_handed_over_again():
    standing = overdue(dunning_level=3, last_dunning_on=date(2026, 4, 27), handed_to_collection=True)

    refusals = dunning_refusals(standing, date(2026, 6, 1), POLICY, hand_off=True)

    assert refusals == [Refusal("handed-to-collection", "the invoice is already with collection")]


def test_an_invoice_with_collection_is_not_dunned_either():
    standing = overdue(dunning_level=3, last_dunning_on=date(2026, 4, 27), handed_to_collection=True)

    refusals = dunning_refusals(standing, date(2026, 6, 1), POLICY)

    assert codes(refusals) == ["handed-to-collection", "final-level-reached"]


# The earliest day dates allow a step --------------------------------------------------------


@pytest.mark.parametrize(
    ("untils", "first_day"),
    [((), DAY_AFTER_DUE), ((days_after(DUE, -3),), DAY_AFTER_DUE), ((date(2026, 4, 1), date(2026, 3, 20)), date(2026, 4, 2))],
    ids=["no-deferral", "deferral-ending-before-the-due-date", "two-deferrals"],
)
def test_the_earliest_step_day_is_the_first_day_neither_the_due_date_nor_a_deferral_refuses(untils, first_day):
    standing = overdue(deferrals=tuple(replace(DEFERRAL, until=until) for until in untils))

    assert earliest_step_day(standing) == first_day
    assert dunning_refusals(standing, first_day, POLICY) == []
    assert dunning_refusals(standing, days_after(first_day, -1), POLICY)
