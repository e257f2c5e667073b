"""Roles, permissions and what a role is shown (domain/access.py); per-credential token buckets."""

from __future__ import annotations

from domain.access import DEPARTMENTS, GRANTS, Permission, Role, missing, visible_touchpoint
from services.rate_limits import RateLimits, retry_after


def test_the_auditor_reads_everything_and_writes_nothing_and_the_admin_sees_no_customer() -> None:
    reads = {p for p in Permission if p.value.startswith("read-") and p is not Permission.READ_CONFIGURATION}
    assert GRANTS[Role.AUDITOR] == reads
    assert not GRANTS[Role.ADMIN] & reads
    assert all(Permission.PUBLISH_EVENTS not in GRANTS[r] for r in Role if r is not Role.INTEGRATOR)
    assert Role.ADMIN not in DEPARTMENTS and DEPARTMENTS[Role.SUPPORT].value == "support"


def test_missing_names_what_a_role_lacks_in_the_order_asked() -> None:
    assert missing(Role.SUPPORT, [Permission.READ_BILLING, Permission.DUN, Permission.READ_DUNNING_WORKLISTS]) == [
        Permission.DUN, Permission.READ_DUNNING_WORKLISTS]
    assert missing(Role.BILLING, [Permission.DUN]) == []


def test_marketing_is_not_shown_free_texts_or_payment_details_and_others_see_all() -> None:
    complaint = {"type": "Complaint.Filed", "summary": "the drill smokes", "data": {"product_group": "tools",
                                                                                   "text": "the drill smokes"}}
    payment = {"type": "Invoice.PaymentReceived", "summary": "payment 30.00 EUR", "data": {"amount": "30.00"}}
    order = {"type": "Order.Placed", "summary": "order O1", "data": {"order_id": "O1"}}

    assert visible_touchpoint(Role.MARKETING, complaint) == {
        "type": "Complaint.Filed", "summary": None, "data": {"product_group": "tools", "hidden": ["text"]}}
    assert visible_touchpoint(Role.MARKETING, payment) == {
        "type": "Invoice.PaymentReceived", "summary": None, "data": {"hidden": ["amount"]}}
    assert visible_touchpoint(Role.MARKETING, order) is order
    assert visible_touchpoint(Role.SUPPORT, complaint) is complaint


def test_a_bucket_allows_its_burst_then_its_rate_and_keeps_callers_apart() -> None:
    limits = RateLimits(rate=2.0, burst=3)

    taken = [limits.take("a", now=100.0) for _ in range(4)]

    assert taken[:3] == [None, None, None] and taken[3] == 0.5
    assert limits.take("b", now=100.0) is None
    assert limits.take("a", now=100.5) is None  # one token back after half a second at 2/s
    assert retry_after(0.01) == "1" and retry_after(2.2) == "3"
    assert RateLimits(rate=0, burst=1).take("a") is None  # 0 switches the limit off
