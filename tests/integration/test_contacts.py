"""Contact rights and contacts on both stores: consents, preferences and the departments' holds
decide every outbound contact (domain/contact.py), recorded made or refused; the outbox; the
marketing view agrees with the rule at one position."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest

from domain import commands as c
from domain.contact import Cap, Channel, Preferences, Purpose, QuietHours
from domain.contact_book import AlreadyAcknowledgedError, OccasionDecidedError
from domain.errors import AlreadyExistsError, InvalidTransitionError, UnknownError
from domain.values import Department, Principal
from services.backfill import BACKFILLED
from services.handlers import CUSTOMER_COMPLAINT
from services.lists import Lists
from services.privacy import Privacy
from tests.integration.helpers import (
    BILLING,
    SALES,
    SUPPORT,
    customer_with_invoice,
    eur,
    event_names,
    lines,
    open_journey,
)

EMAIL, SMS, LETTER, PHONE = Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel.PHONE
MARKETING, SERVICE, NEWSLETTER = Purpose.MARKETING, Purpose.SERVICE, Purpose.NEWSLETTER
MARKETER = Principal(Department.MARKETING, user="mia")
MAILER = Principal(Department.INTEGRATOR, source="mailer")


def contact(journey, customer: str, contact_id: str, channel: Channel = EMAIL, purpose: Purpose = MARKETING,
            **kw: Any) -> dict[str, Any]:
    written = journey.service.execute(
        c.ContactCustomer(customer, contact_id, channel, purpose, kw.pop("message", "spring-sale"), **kw), MARKETER
    )
    return {**written.answer, "position": written.position}


def codes(answer: dict[str, Any]) -> list[str]:
    return [r["code"] for r in answer["reasons"]]


def allowed_now(journey, customer: str, channel: Channel, purpose: Purpose) -> dict[str, Any]:
    journey.catch_up_views()
    view = journey.reads.marketing(customer)
    return next(x for x in view["contactability"] if (x["channel"], x["purpose"]) == (channel, purpose))


@pytest.fixture
def anna(journey, clock):
    """Customer c1 with an invoice due 2024-01-15, consenting to promotional e-mail (confirmed)
    and letters."""
    customer_with_invoice(journey, "c1", "o1", "i1", "100", date(2024, 1, 15))
    run = journey.service.execute
    run(c.GiveConsent("c1", EMAIL, MARKETING, "web-form"), MARKETER)
    run(c.ConfirmConsent("c1", EMAIL, MARKETING), MARKETER)
    run(c.GiveConsent("c1", LETTER, MARKETING, "store-berlin"), SALES)
    run(c.GiveConsent("c1", EMAIL, SERVICE, "web-form"), SALES)
    return "c1"


def test_an_allowed_contact_goes_through_the_outbox_to_delivery_and_every_step_is_a_touchpoint(journey, anna):
    made = contact(journey, anna, "K-1", campaign="spring", occasion="2024")

    assert made["allowed"] and made["reasons"] == [] and made["contact_id"] == "K-1"
    journey.catch_up_views()
    lists = Lists(journey.reads)
    page = lists.outbox()
    assert [(x["customer_id"], x["contact_id"], x["channel"], x["message"]) for x in page["contacts"]] == [
        ("c1", "K-1", "email", "spring-sale")]
    assert page["contacts"][0]["recipient"]["email"] == "c1@example.com"
    assert lists.outbox(channel="sms")["contacts"] == []
    # The mailing tool takes it: acknowledged once, again passed over.
    acked = journey.service.execute(c.AcknowledgeContacts((("c1", "K-1"),)), MAILER)
    assert acked.answer == {"acknowledged": ["K-1"]}
    with pytest.raises(AlreadyAcknowledgedError):
        journey.service.execute(c.AcknowledgeContacts((("c1", "K-1"),)), MAILER)
    with pytest.raises(UnknownError, match="K-9"):
        journey.service.execute(c.AcknowledgeContacts((("c1", "K-9"),)), MAILER)
    journey.service.execute(c.RecordContactResult("c1", "K-1", "delivered"), MAILER)
    journey.service.execute(c.RecordContactResult("c1", "K-1", "opened"), MAILER)
    with pytest.raises(InvalidTransitionError):
        journey.service.execute(c.RecordContactResult("c1", "K-1", "bounced", "mailbox full"), MAILER)
    journey.catch_up_views()

    assert lists.outbox()["contacts"] == []
    shown = journey.reads.marketing(anna)["contacts"][-1]
    assert shown["status"] == "opened" and [r["result"] for r in shown["results"]] == [
        "handed-over", "delivered", "opened"]
    summaries = [t["summary"] for t in journey.reads.journey(anna)["touchpoints"]]
    assert summaries[-9:] == [
        "contact book opened", "consent to marketing by email given via web-form (awaiting confirmation)",
        "consent to marketing by email confirmed (double opt-in)", "consent to marketing by letter given via store-berlin",
        "consent to service by email given via web-form", "marketing contact K-1 by email: spring-sale (spring)",
        "contact K-1 handed to the mailing tool", "contact K-1 delivered", "contact K-1 opened",
    ]


def test_an_occasion_is_decided_once_and_a_contact_id_used_once(journey, anna):
    contact(journey, anna, "K-1", campaign="birthday", occasion="2024")
    head = journey.service.head()

    with pytest.raises(OccasionDecidedError):
        contact(journey, anna, "K-2", LETTER, campaign="birthday", occasion="2024")
    with pytest.raises(AlreadyExistsError):
        contact(journey, anna, "K-1", LETTER)
    assert journey.service.head() == head  # nothing recorded
    assert contact(journey, anna, "K-3", LETTER, campaign="birthday", occasion="2025")["allowed"]
    assert contact(journey, anna, "K-4", LETTER, campaign="other", occasion="2024")["allowed"]


def test_consent_and_double_opt_in_decide_and_a_refusal_is_recorded_with_every_reason(journey, anna):
    journey.service.execute(c.GiveConsent(anna, EMAIL, NEWSLETTER, "web-form"), MARKETER)

    refused = contact(journey, anna, "K-1", EMAIL, NEWSLETTER)
    none = contact(journey, anna, "K-2", SMS, MARKETING)

    assert not refused["allowed"] and codes(refused) == ["opt-in-unconfirmed"]
    assert codes(none) == ["no-consent"]
    assert event_names(journey)[-2:] == ["ContactBook.ContactRefused", "ContactBook.ContactRefused"]
    journey.catch_up_views()
    assert Lists(journey.reads).outbox()["contacts"] == []  # refused contacts are never sent
    journey.service.execute(c.ConfirmConsent(anna, EMAIL, NEWSLETTER), MARKETER)
    assert contact(journey, anna, "K-3", EMAIL, NEWSLETTER)["allowed"]
    with pytest.raises(InvalidTransitionError):
        journey.service.execute(c.ConfirmConsent(anna, EMAIL, NEWSLETTER), MARKETER)
    journey.catch_up_views()
    view = journey.reads.marketing(anna)
    assert [x["status"] for x in view["contacts"]] == ["refused", "refused", "made"]
    assert view["contacts"][0]["reasons"][0]["code"] == "opt-in-unconfirmed"


def test_dunning_disputes_and_complaints_hold_promotion_but_not_service(journey, anna, clock):
    clock.set(clock.now().replace(year=2024, month=1, day=20))
    journey.service.execute(c.DunInvoice("i1"), BILLING)
    assert contact(journey, anna, "K-1")["allowed"]  # level 1: the default policy holds from level 2
    clock.advance(days=15)
    journey.service.execute(c.DunInvoice("i1"), BILLING)

    dunned = contact(journey, anna, "K-2")

    assert codes(dunned) == ["hold:dunning"] and "invoice i1" in dunned["reasons"][0]["detail"]
    assert contact(journey, anna, "K-3", EMAIL, SERVICE)["allowed"]
    assert allowed_now(journey, anna, EMAIL, MARKETING)["reasons"] == dunned["reasons"]
    journey.catch_up_views()
    [listed] = Lists(journey.reads).contactable(EMAIL, MARKETING)["customers"]  # reads the holding invoices only
    assert listed["reasons"] == dunned["reasons"]
    # Paid: the hold is gone. A complaint and a dispute hold again, each named.
    journey.service.execute(c.ReceivePayment(anna, "i1", eur(100)), BILLING)
    assert contact(journey, anna, "K-4")["allowed"]
    journey.service.execute(c.FileComplaint(anna, "CP-1", "o1", "books", "torn pages"), SUPPORT)
    assert codes(contact(journey, anna, "K-5")) == ["hold:complaint"]
    journey.service.execute(c.ResolveComplaint(anna, "CP-1", "replaced"), SUPPORT)
    assert contact(journey, anna, "K-6")["allowed"]
    journey.service.execute(c.PlaceOrder(anna, "o2", lines("books"), "EUR"), SALES)
    journey.service.execute(c.IssueInvoice(anna, "i2", "o2", eur(20), date(2024, 3, 1)), BILLING)
    journey.service.execute(c.OpenDispute(anna, "i2", "never ordered"), SUPPORT)
    assert codes(contact(journey, anna, "K-7")) == ["hold:dispute"]


def test_caps_quiet_hours_and_a_withdrawal_follow_the_customers_wishes_over_time(journey, anna, clock):
    prefs = Preferences(caps=(Cap(1, 7),), quiet_hours=QuietHours(time(20, 0), time(8, 0), "Europe/Berlin"))
    journey.service.execute(c.SetContactPreferences(anna, prefs), MARKETER)
    clock.set(clock.now().replace(year=2024, month=2, day=1, hour=12))

    assert contact(journey, anna, "K-1")["allowed"]
    capped = contact(journey, anna, "K-2", LETTER)
    assert codes(capped) == ["cap-reached"]
    clock.advance(days=7)
    assert allowed_now(journey, anna, LETTER, MARKETING)["allowed"]
    clock.set(clock.now().replace(hour=22))  # 23:00 in Berlin
    quiet = allowed_now(journey, anna, EMAIL, MARKETING)
    assert [r["code"] for r in quiet["reasons"]] == ["quiet-hours"]
    assert quiet["next_allowed"] == (clock.now().replace(hour=7) + timedelta(days=1)).isoformat()  # 08:00 Berlin
    assert codes(contact(journey, anna, "K-3")) == ["quiet-hours"]
    assert contact(journey, anna, "K-4", LETTER)["allowed"]  # a letter is not sent at an hour
    # A withdrawal on one channel holds promotion on every channel for 30 days.
    clock.advance(days=8)
    journey.service.execute(c.WithdrawConsent(anna, LETTER, MARKETING, "phone-call"), SUPPORT)
    clock.set(clock.now().replace(hour=12))
    assert codes(contact(journey, anna, "K-5")) == ["hold:withdrawal"]
    assert codes(contact(journey, anna, "K-6", LETTER)) == ["consent-withdrawn", "hold:withdrawal"]
    clock.advance(days=31)
    assert contact(journey, anna, "K-7")["allowed"]


def test_what_the_view_shows_allowed_is_what_a_contact_then_gets(journey, anna, clock):
    journey.service.execute(c.SetContactPreferences(anna, Preferences(caps=(Cap(2, 30, EMAIL),))), MARKETER)
    journey.service.execute(c.GiveConsent(anna, SMS, MARKETING, "web-form", date(2024, 1, 5)), MARKETER)
    journey.service.execute(c.FileComplaint(anna, "CP-1", "o1", "books", "late"), SUPPORT)
    n = 0
    for step in range(4):
        for channel in (EMAIL, SMS, LETTER, PHONE):
            for purpose in (MARKETING, SERVICE):
                shown = allowed_now(journey, anna, channel, purpose)
                n += 1
                answer = contact(journey, anna, f"K-{n}", channel, purpose)
                assert (answer["allowed"], answer["reasons"]) == (shown["allowed"], shown["reasons"]), (channel, purpose)
        clock.advance(days=3)
        if step == 1:
            journey.service.execute(c.ResolveComplaint(anna, "CP-1", "answered"), SUPPORT)


def test_complaints_filed_before_the_customer_link_existed_are_linked_once(database_url, clock):
    journey = open_journey(database_url, clock)
    try:
        customer_with_invoice(journey, "c1", "o1", "i1")
        journey.service.execute(c.FileComplaint("c1", "CP-1", "o1", "books", "torn"), SUPPORT)
        journey.service.execute(c.GiveConsent("c1", LETTER, MARKETING, "store"), SALES)
        recorder: Any = journey.service.app.recorder
        with recorder.datastore.transaction(commit=True) as cursor:  # as a store written before the link
            cursor.execute(f"DELETE FROM {recorder.links_table} WHERE relation IN ('{CUSTOMER_COMPLAINT}', "
                           f"'{BACKFILLED}')")
    finally:
        journey.close()
    journey = open_journey(database_url, clock)  # the back-fill runs on opening
    try:
        assert journey.service.app.recorder.members(CUSTOMER_COMPLAINT, "c1") == ["CP-1"]
        assert codes(contact(journey, "c1", "K-1", LETTER)) == ["hold:complaint"]
    finally:
        journey.close()


def test_an_erased_customer_is_never_contacted_and_his_contact_book_keeps_no_personal_data(journey, anna):
    journey.service.execute(c.RecordInboundContact(anna, "IN-1", PHONE, "asked about the drill"), SUPPORT)
    waiting = contact(journey, anna, "K-0", LETTER)
    Privacy(journey).erase(anna, Principal(Department.PRIVACY, user="dora"))
    assert waiting["allowed"] and event_names(journey)[-2:] == ["Customer.PersonalDataErased",
                                                                "ContactBook.ContactCancelled"]
    journey.catch_up_views()
    assert Lists(journey.reads).outbox()["contacts"] == []  # nothing left to send to the erased

    refused = contact(journey, anna, "K-1", LETTER)

    assert codes(refused) == ["erased"]
    with pytest.raises(InvalidTransitionError):
        journey.service.execute(c.GiveConsent(anna, SMS, MARKETING, "web-form"), MARKETER)
    journey.catch_up_views()
    view = journey.reads.marketing(anna)
    assert view["customer"]["erased"] and all(not x["allowed"] for x in view["contactability"])
    inbound = next(t for t in journey.reads.journey(anna)["touchpoints"] if t["type"] == "ContactBook.InboundContact")
    assert inbound["data"]["note"] == "[erased]"


def test_a_withdrawal_cancels_the_contacts_still_waiting_on_that_channel_and_purpose(journey, anna):
    contact(journey, anna, "K-1", LETTER)
    contact(journey, anna, "K-2")  # e-mail: not touched by a withdrawal of letters
    journey.service.execute(c.AcknowledgeContacts(((anna, "K-2"),)), MAILER)

    journey.service.execute(c.WithdrawConsent(anna, LETTER, MARKETING, "phone-call"), SUPPORT)

    assert event_names(journey)[-2:] == ["ContactBook.ConsentWithdrawn", "ContactBook.ContactCancelled"]
    journey.catch_up_views()
    assert Lists(journey.reads).outbox()["contacts"] == []
    shown = {x["contact_id"]: x for x in journey.reads.marketing(anna)["contacts"]}
    assert shown["K-1"]["status"] == "cancelled" and shown["K-1"]["results"][-1]["cause"] == "consent-withdrawn"
    assert shown["K-2"]["status"] == "handed-over"
    with pytest.raises(InvalidTransitionError, match="only a contact made goes out"):
        journey.service.execute(c.AcknowledgeContacts(((anna, "K-1"),)), MAILER)


def test_a_refused_contact_cannot_be_acknowledged_nor_delivered(journey, anna):
    contact(journey, anna, "K-1", SMS)  # no consent: refused

    with pytest.raises(InvalidTransitionError) as refused:
        journey.service.execute(c.AcknowledgeContacts(((anna, "K-1"),)), MAILER)
    assert refused.value.code == "contact-not-made"
    with pytest.raises(InvalidTransitionError):
        journey.service.execute(c.RecordContactResult(anna, "K-1", "delivered"), MAILER)


def test_the_contactable_worklist_finds_the_consented_and_says_whom_the_rule_allows_now(journey, anna, clock):
    for customer in ("c2", "c3", "c4"):
        journey.service.execute(c.RegisterCustomer(customer, f"Kim {customer}", f"{customer}@example.org"), SALES)
    journey.service.execute(c.GiveConsent("c2", LETTER, MARKETING, "store"), SALES)
    journey.service.execute(c.GiveConsent("c3", LETTER, MARKETING, "store"), SALES)
    journey.service.execute(c.PlaceOrder("c3", "o3", lines("books"), "EUR"), SALES)
    journey.service.execute(c.FileComplaint("c3", "CP-3", "o3", "books", "late"), SUPPORT)
    journey.service.execute(c.GiveConsent("c4", EMAIL, MARKETING, "web-form"), SALES)  # letters: none
    journey.catch_up_views()
    lists = Lists(journey.reads)

    every = lists.contactable(LETTER, MARKETING)
    allowed = lists.contactable(LETTER, MARKETING, only_allowed=True)
    paged = lists.contactable(LETTER, MARKETING, limit=2)

    assert [(x["customer"]["customer_id"], x["allowed"]) for x in every["customers"]] == [
        ("c1", True), ("c2", True), ("c3", False)]
    assert every["customers"][2]["reasons"][0]["code"] == "hold:complaint"
    assert [x["customer"]["customer_id"] for x in allowed["customers"]] == ["c1", "c2"]
    rest = lists.contactable(LETTER, MARKETING, limit=2, cursor=paged["next_cursor"])
    assert [x["customer"]["customer_id"] for x in paged["customers"] + rest["customers"]] == ["c1", "c2", "c3"]
    assert rest["next_cursor"] is None and every["position"] == journey.reads.position()
