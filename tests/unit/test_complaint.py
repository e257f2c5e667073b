"""The Complaint aggregate through its public methods."""

from __future__ import annotations

from datetime import date

import pytest

from domain.complaint import Complaint
from domain.errors import InvalidTransitionError
from domain.values import aggregate_id
from tests.unit.builders import (
    AT,
    BOB,
    SHOP,
    SUE,
    file_complaint,
    names,
    on,
    round_trip,
)


@pytest.fixture
def complaint() -> Complaint:
    complaint = file_complaint()
    complaint.collect_events()
    return complaint


def resolved(complaint: Complaint) -> Complaint:
    complaint.resolve(note="kettle replaced", at=AT, by=SUE)
    complaint.collect_events()
    return complaint


def test_filing_records_the_complaint_about_a_product_group():
    complaint = file_complaint()

    [filed] = complaint.collect_events()
    assert type(filed).__qualname__ == "Complaint.Filed"
    assert (filed.complaint_id, filed.order_id, filed.customer_id) == ("K-1", "O-1", "C-1")
    assert (filed.product_group, filed.text) == ("kitchen", "the kettle leaks")
    assert (filed.at, filed.by) == (AT, SUE)
    assert complaint.resolved is False
    assert complaint.id == aggregate_id("complaint", "K-1") == Complaint.create_id("K-1")


def test_an_answer_keeps_the_complaint_open(complaint):
    complaint.answer(text="we will send a new one", at=AT, by=SUE)
    complaint.answer(text="it is on its way", at=AT, by=SUE)

    events = complaint.collect_events()
    assert names(events) == ["Complaint.Answered", "Complaint.Answered"]
    assert [e.text for e in events] == ["we will send a new one", "it is on its way"]
    assert complaint.resolved is False


def test_resolving_closes_the_complaint(complaint):
    complaint.resolve(note="kettle replaced", at=AT, by=SUE)

    [done] = complaint.collect_events()
    assert type(done).__qualname__ == "Complaint.Resolved"
    assert done.note == "kettle replaced"
    assert complaint.resolved is True


def test_a_resolved_complaint_is_not_answered(complaint):
    resolved(complaint)

    with pytest.raises(InvalidTransitionError, match="complaint K-1 is resolved; cannot be answered"):
        complaint.answer(text="anything else?", at=AT, by=SUE)

    assert complaint.collect_events() == []


def test_a_resolved_complaint_is_not_resolved_again(complaint):
    resolved(complaint)

    with pytest.raises(InvalidTransitionError, match="cannot be resolved"):
        complaint.resolve(note="again", at=AT, by=SUE)

    assert complaint.collect_events() == []
    assert complaint.resolved is True


def test_every_complaint_event_carries_its_actor_and_time():
    complaint = file_complaint()
    complaint.answer(text="sorry", at=on(date(2026, 3, 2)), by=SHOP)
    complaint.resolve(note="refunded", at=on(date(2026, 3, 3)), by=BOB)

    events = complaint.collect_events()

    assert [e.by for e in events] == [SUE, SHOP, BOB]
    assert [e.at for e in events] == [AT, on(date(2026, 3, 2)), on(date(2026, 3, 3))]


def test_a_complaint_read_back_from_its_events_equals_the_original():
    original = file_complaint()
    original.answer(text="sorry", at=AT, by=SUE)
    original.resolve(note="refunded", at=AT, by=BOB)

    restored, sent, stored = round_trip(original)

    assert vars(restored) == vars(original)
    assert stored == sent
    assert restored.resolved is True
    assert stored[-1].by == BOB
