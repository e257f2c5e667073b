"""The Invoice aggregate's dunning steps and collection hand-off, guarded by the hold rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import DunningRefusedError
from domain.holds import DunningPolicy
from tests.unit.builders import (
    AT,
    BOB,
    DUE,
    SUE,
    dun,
    names,
    on,
    refusal_codes,
)

POLICY = DunningPolicy()


def test_dunning_advances_through_three_levels_then_is_refused(invoice):
    # 1. billing duns the day after the due date and every 14 days after that
    days = [date(2026, 3, 16), date(2026, 3, 30), date(2026, 4, 13)]
    levels = [dun(invoice, day) for day in days]

    # 2. each step recorded its level and the day it was taken
    events = invoice.collect_events()
    assert levels == [1, 2, 3]
    assert names(events) == ["Invoice.DunningLevelReached"] * 3
    assert [e.level for e in events] == [1, 2, 3]
    assert [e.at for e in events] == [on(day) for day in days]
    assert (invoice.dunning_level, invoice.last_dunning_on) == (3, date(2026, 4, 13))

    # 3. a fourth step is refused and recorded nothing
    with pytest.raises(DunningRefusedError) as excinfo:
        dun(invoice, date(2026, 5, 1))
    assert refusal_codes(excinfo) == ["final-level-reached"]
    assert invoice.collect_events() == []


def test_dunning_is_refused_on_the_due_date(invoice):
    with pytest.raises(DunningRefusedError) as excinfo:
        dun(invoice, DUE)

    assert refusal_codes(excinfo) == ["not-due"]
    assert invoice.collect_events() == []
    assert invoice.dunning_level == 0


def test_dunning_is_refused_before_the_minimum_interval(invoice):
    dun(invoice, date(2026, 3, 16))
    invoice.collect_events()

    with pytest.raises(DunningRefusedError) as excinfo:
        dun(invoice, date(2026, 3, 29))

    assert refusal_codes(excinfo) == ["interval-not-elapsed"]
    assert invoice.collect_events() == []
    assert invoice.dunning_level == 1


def test_dunning_is_refused_while_a_deferral_is_promised(invoice):
    # given a deferral until the end of March
    invoice.grant_deferral(until=date(2026, 3, 31), reason="salary", policy=POLICY, at=AT, by=BOB)
    invoice.collect_events()

    # when billing tries to dun on the deferral's last day
    with pytest.raises(DunningRefusedError) as excinfo:
        dun(invoice, date(2026, 3, 31))

    # then it is refused, naming the deferral, and nothing is recorded
    assert refusal_codes(excinfo) == ["hold:payment-deferral"]
    assert excinfo.value.refusals[0].hold.until == date(2026, 3, 31)
    assert str(excinfo.value) == "hold: payment-deferral (salary (granted by billing:bob))"
    assert invoice.collect_events() == []
    assert invoice.dunning_level == 0
    # and the day after the deferral it is allowed
    assert dun(invoice, date(2026, 4, 1)) == 1


def test_dunning_is_refused_while_a_complaint_is_open_on_the_order(invoice):
    with pytest.raises(DunningRefusedError) as excinfo:
        dun(invoice, date(2026, 4, 1), open_complaints=("K-1",))

    assert refusal_codes(excinfo) == ["hold:complaint"]
    assert excinfo.value.refusals[0].hold.cause == "complaint K-1"
    assert invoice.collect_events() == []


def test_dunning_is_refused_while_a_detailed_invoice_is_outstanding_and_allowed_once_answered(invoice):
    invoice.request_detailed_invoice(note="itemise", at=AT, by=SUE)

    with pytest.raises(DunningRefusedError) as excinfo:
        dun(invoice, date(2026, 4, 1))
    assert refusal_codes(excinfo) == ["hold:detailed-invoice-requested"]

    invoice.issue_corrected_invoice(amount=None, due_date=None, note=None, at=AT, by=BOB)
    assert dun(invoice, date(2026, 4, 1)) == 1


def test_dunning_is_refused_while_disputed_with_every_reason_named(invoice):
    invoice.open_dispute_about(reason="wrong amount", at=AT, by=SUE)
    invoice.collect_events()

    with pytest.raises(DunningRefusedError) as excinfo:
        dun(invoice, DUE, open_complaints=("K-1", "K-2"))

    assert refusal_codes(excinfo) == ["not-due", "hold:dispute", "hold:complaint", "hold:complaint"]
    assert invoice.collect_events() == []


def test_a_custom_policy_allows_dunning_sooner(invoice):
    dun(invoice, date(2026, 3, 16))

    level = invoice.reach_next_dunning_level(
        open_complaints=[], policy=DunningPolicy(min_interval=timedelta(days=7)),
        at=on(date(2026, 3, 23)), by=BOB,
    )

    assert level == 2


def test_hand_off_to_collection_after_the_final_notice(invoice):
    for day in (date(2026, 3, 16), date(2026, 3, 30), date(2026, 4, 13)):
        dun(invoice, day)
    invoice.collect_events()

    invoice.hand_to_collection(open_complaints=[], policy=POLICY, at=on(date(2026, 4, 27)), by=BOB)

    [handed] = invoice.collect_events()
    assert type(handed).__qualname__ == "Invoice.HandedToCollection"
    assert (handed.at, handed.by) == (on(date(2026, 4, 27)), BOB)
    assert invoice.handed_to_collection is True
    assert invoice.last_dunning_on == date(2026, 4, 27)

    with pytest.raises(DunningRefusedError) as excinfo:
        invoice.hand_to_collection(open_complaints=[], policy=POLICY, at=on(date(2026, 6, 1)), by=BOB)
    assert refusal_codes(excinfo) == ["handed-to-collection"]
    assert invoice.collect_events() == []


def test_hand_off_before_the_final_notice_is_refused(invoice):
    dun(invoice, date(2026, 3, 16))
    invoice.collect_events()

    with pytest.raises(DunningRefusedError) as excinfo:
        invoice.hand_to_collection(open_complaints=[], policy=POLICY, at=on(date(2026, 6, 1)), by=BOB)

    assert refusal_codes(excinfo) == ["final-notice-missing"]
    assert invoice.collect_events() == []
    assert invoice.handed_to_collection is False
