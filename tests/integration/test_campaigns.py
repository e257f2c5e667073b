"""The campaign policies run over a store (services/campaigns.py), on both stores: each finds its
customers, proposes each occasion once through the contact rule, records refusals with their
reasons, waits out quiet hours, and a second run proposes nothing new."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from domain import campaigns as policy
from domain import commands as c
from domain.campaigns import CampaignSettings
from domain.contact import Channel, Preferences, Purpose, QuietHours
from domain.errors import UnknownError
from domain.values import OrderLine
from services.campaigns import Campaigns, load_affinity
from services.clock import FixedClock
from tests.integration.helpers import BILLING, SALES, SUPPORT, eur, event_names, open_journey

TODAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)
EMAIL, LETTER = Channel.EMAIL, Channel.LETTER


def tools(value: str = "30", group: str = "power-tools") -> tuple[OrderLine, ...]:
    return (OrderLine(f"sku-{group}", group, 1, Decimal(value)),)


class Shop:
    def __init__(self, journey: Any, clock: FixedClock) -> None:
        self.journey, self.clock, self.n = journey, clock, 0

    def run(self, command: Any, by: Any = SALES) -> Any:
        return self.journey.service.execute(command, by)

    def customer(self, customer: str, birthday: date | None = None, *consents: tuple[Channel, Purpose]) -> str:
        self.run(c.RegisterCustomer(customer, f"Kim {customer}", f"{customer}@example.org", birthday))
        for channel, purpose in consents:
            self.run(c.GiveConsent(customer, channel, purpose, "store", None, True))
        return customer

    def order(self, customer: str, lines: tuple[OrderLine, ...], *, delivered: bool = False) -> str:
        self.n += 1
        order = f"{customer}-o{self.n}"
        self.run(c.PlaceOrder(customer, order, lines, "EUR"))
        if delivered:
            self.run(c.ShipOrder(customer, order))
            self.run(c.DeliverOrder(customer, order))
        return order


@pytest.fixture
def shop(journey: Any, clock: FixedClock) -> Shop:
    """Customers for every policy, their history written over the past year, the clock at noon
    on 10 March 2026."""
    shop = Shop(journey, clock)
    clock.set(datetime(2025, 8, 1, 10, tzinfo=UTC))
    shop.customer("dormant", None, (LETTER, Purpose.MARKETING))
    shop.order("dormant", tools())
    shop.customer("top", None, (EMAIL, Purpose.EVENTS))
    shop.order("top", tools("600"))
    clock.set(datetime(2026, 3, 1, 10, tzinfo=UTC))
    shop.order("top", tools("450"))
    shop.customer("buyer", None, (EMAIL, Purpose.MARKETING))
    shop.customer("troubled", None, (EMAIL, Purpose.MARKETING))
    troubled_order = shop.order("troubled", tools(), delivered=True)
    for n in (1, 2):
        shop.run(c.FileComplaint("troubled", f"CP-{n}", troubled_order, "power-tools", "it smokes"), SUPPORT)
    clock.set(datetime(2026, 3, 5, 10, tzinfo=UTC))
    shop.order("buyer", tools(), delivered=True)
    shop.customer("bday", date(1990, 3, 10), (EMAIL, Purpose.MARKETING))
    shop.customer("bday-held", date(1985, 3, 8), (LETTER, Purpose.MARKETING))
    held_order = shop.order("bday-held", tools())
    shop.run(c.IssueInvoice("bday-held", "I-held", held_order, eur(30), date(2026, 4, 1)), BILLING)
    shop.run(c.OpenDispute("bday-held", "I-held", "never ordered"), SUPPORT)
    shop.customer("bday-none", date(2000, 3, 9))
    shop.customer("night-owl", date(1970, 3, 10), (EMAIL, Purpose.MARKETING))
    shop.run(c.SetContactPreferences("night-owl", Preferences(quiet_hours=QuietHours(time(11), time(13)))))
    clock.set(NOON)
    journey.catch_up_views()
    return shop


def campaigns(journey: Any) -> Campaigns:
    return Campaigns(journey, CampaignSettings(top_event="gala-2026"), load_affinity(None))


def contacts(journey: Any, customer: str) -> list[tuple[str, str, str, list[str]]]:
    journey.catch_up_views()
    return [(x["campaign"], x["channel"], x["status"], [r["code"] for r in x["reasons"]])
            for x in journey.reads.marketing(customer)["contacts"]]


def test_every_policy_proposes_its_occasions_once_and_the_rule_decides(journey, shop):
    runner = campaigns(journey)

    reports = {r.policy: r for r in runner.run_all(TODAY)}

    birthday = reports[policy.BIRTHDAY]
    assert (birthday.customers, birthday.made, birthday.refused, birthday.waiting) == (4, 1, 2, 1)
    assert birthday.reasons == {"hold:dispute": 1, "no-consent": 1}
    assert contacts(journey, "bday") == [(policy.BIRTHDAY, "email", "made", [])]
    assert contacts(journey, "bday-held") == [(policy.BIRTHDAY, "letter", "refused", ["hold:dispute"])]
    assert contacts(journey, "bday-none") == [(policy.BIRTHDAY, "email", "refused", ["no-consent"])]
    assert contacts(journey, "night-owl") == []  # waits for its quiet hours to end
    # Cross-selling after the buyer's delivery; none for the troubled power tools, nor the
    # alternative while his complaints are open (see below).
    assert contacts(journey, "buyer") == [(policy.CROSS_SELLING, "email", "made", [])]
    journey.catch_up_views()
    buyer = journey.reads.marketing("buyer")["contacts"][0]
    assert (buyer["message"], buyer["occasion"]) == ("accessory:BIT-SET-32", "order-buyer-o5")
    assert contacts(journey, "troubled") == []
    assert contacts(journey, "dormant") == [(policy.REACTIVATION, "letter", "made", [])]
    assert contacts(journey, "top") == [(policy.TOP_EVENT, "email", "made", [])]
    assert reports[policy.TOP_EVENT].customers == 1  # 1,050 EUR in a year; the others spent little
    # Run again: nothing new is recorded, the decided occasions are named as such.
    head = journey.service.head()
    again = {r.policy: r for r in runner.run_all(TODAY)}
    assert journey.service.head() == head
    assert again[policy.BIRTHDAY].decided_before == 3 and again[policy.BIRTHDAY].waiting == 1
    assert again[policy.REACTIVATION].decided_before == 1 and again[policy.REACTIVATION].made == 0


def test_the_alternative_offer_waits_until_the_complaints_are_resolved(journey, shop):
    runner = campaigns(journey)
    assert runner.run(policy.ALTERNATIVE, TODAY).proposed == 0
    for n in (1, 2):
        journey.service.execute(c.ResolveComplaint("troubled", f"CP-{n}", "replaced"), SUPPORT)
    journey.catch_up_views()

    offered = runner.run(policy.ALTERNATIVE, TODAY)

    assert (offered.made, offered.refused) == (1, 0)
    journey.catch_up_views()
    [offer] = journey.reads.marketing("troubled")["contacts"]
    assert (offer["campaign"], offer["message"], offer["status"]) == (policy.ALTERNATIVE, "alternative:PRO-DRILL-18V",
                                                                      "made")


def test_a_dry_run_records_nothing_and_foresees_the_run(journey, shop):
    runner, head = campaigns(journey), journey.service.head()

    foreseen = {r.policy: r for r in (runner.run(name, TODAY, dry_run=True) for name in policy.POLICIES)}

    assert journey.service.head() == head
    done = {r.policy: r for r in runner.run_all(TODAY)}
    for name in policy.POLICIES:
        assert (foreseen[name].made, foreseen[name].refused, foreseen[name].waiting) == (
            done[name].made, done[name].refused, done[name].waiting), name


def test_a_waiting_proposal_goes_out_once_the_quiet_hours_are_over(journey, shop, clock):
    runner = campaigns(journey)
    runner.run(policy.BIRTHDAY, TODAY)
    clock.set(datetime(2026, 3, 10, 14, tzinfo=UTC))

    later = runner.run(policy.BIRTHDAY, TODAY)

    assert (later.made, later.waiting, later.decided_before) == (1, 0, 3)
    assert contacts(journey, "night-owl") == [(policy.BIRTHDAY, "email", "made", [])]
    assert event_names(journey)[-1] == "ContactBook.ContactMade"


def test_an_unknown_policy_is_named(journey):
    from domain.errors import DomainError

    with pytest.raises(DomainError, match="unknown campaign policy"):
        campaigns(journey).run("spam-everyone", TODAY)


def test_two_runs_at_once_record_each_occasion_once(database_url, shop, journey):
    other = open_journey(database_url, journey.clock)
    try:
        first, second = campaigns(journey), campaigns(other)
        head = journey.service.head()
        both_read = threading.Barrier(2, timeout=30)
        for runner in (first, second):  # each writes only once both have read the views
            service, execute_many = runner.journey.service, runner.journey.service.execute_many
            service.execute_many = lambda commands, run=execute_many: (both_read.wait(), run(commands))[1]
        reports: list[Any] = []
        threads = [threading.Thread(target=lambda r=r: reports.append(r.run(policy.REACTIVATION, TODAY)))
                   for r in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted((r.made, r.decided_before) for r in reports) == [(0, 1), (1, 0)]
        assert journey.service.head() == head + 1
    finally:
        other.close()


def test_the_campaign_outcomes_count_and_list_every_contact_as_the_contact_books_say(journey, shop):
    from collections import Counter

    from services.lists import Lists

    runner = campaigns(journey)
    runner.run_all(TODAY)
    journey.catch_up_views()
    [bday] = journey.reads.marketing("bday")["contacts"]
    shop.run(c.AcknowledgeContacts((("bday", bday["contact_id"]),)), SALES)
    shop.run(c.RecordContactResult("bday", bday["contact_id"], "delivered"), SALES)
    [top] = journey.reads.marketing("top")["contacts"]
    shop.run(c.RecordContactResult("top", top["contact_id"], "bounced", "mailbox full"), SALES)
    journey.catch_up_views()
    lists = Lists(journey.reads)
    expected: dict[str, Counter[str]] = {}
    reasons: dict[str, Counter[str]] = {}
    for customer in ("dormant", "top", "buyer", "troubled", "bday", "bday-held", "bday-none", "night-owl"):
        for x in journey.reads.marketing(customer)["contacts"]:
            expected.setdefault(x["campaign"], Counter())[x["status"]] += 1
            reasons.setdefault(x["campaign"], Counter()).update(r["code"] for r in x["reasons"])

    summary = lists.campaigns()

    assert summary["position"] == journey.reads.position()
    assert {x["campaign"]: {k: n for k, n in x["outcomes"].items() if n} for x in summary["campaigns"]} == expected
    assert {x["campaign"]: x["reasons"] for x in summary["campaigns"]} == {k: dict(v) for k, v in reasons.items()}
    assert expected[policy.BIRTHDAY] == {"delivered": 1, "refused": 2}
    refused = lists.campaign(policy.BIRTHDAY, "refused")
    assert [(x["customer_id"], [r["code"] for r in x["reasons"]]) for x in refused["contacts"]] == [
        ("bday-held", ["hold:dispute"]), ("bday-none", ["no-consent"])]  # in the order decided
    assert refused["outcomes"]["delivered"] == 1 and refused["contacts_in_total"] == 3
    first = lists.campaign(policy.BIRTHDAY, limit=2)
    rest = lists.campaign(policy.BIRTHDAY, limit=2, cursor=first["next_cursor"])
    assert len(first["contacts"] + rest["contacts"]) == 3 and rest["next_cursor"] is None
    [delivered] = lists.campaign(policy.BIRTHDAY, "delivered")["contacts"]
    assert (delivered["customer_id"], [r["result"] for r in delivered["results"]]) == ("bday", ["handed-over", "delivered"])
    assert lists.campaign(policy.TOP_EVENT, "bounced")["contacts"][0]["customer_id"] == "top"
    with pytest.raises(UnknownError, match="never-ran"):
        lists.campaign("never-ran")  # no contact recorded: no such campaign
    # A campaign whose name starts with another's is counted and listed apart.
    shop.run(c.ContactCustomer("bday", "K-x", EMAIL, Purpose.MARKETING, "spring", f"{policy.BIRTHDAY}-2", "x"))
    journey.catch_up_views()
    assert [x["campaign"] for x in lists.campaigns()["campaigns"]].count(f"{policy.BIRTHDAY}-2") == 1
    assert len(lists.campaign(policy.BIRTHDAY)["contacts"]) == 3
    assert lists.campaign(policy.BIRTHDAY)["contacts_in_total"] == 3


def test_a_customer_gets_one_contact_a_run_and_the_next_run_sees_it(journey, shop):
    # 1. Two deliveries of the buyer in the window: two occasions of cross-selling.
    second = shop.order("buyer", tools(group="garden"), delivered=True)
    journey.catch_up_views()
    runner = campaigns(journey)

    # 2. One contact this run; the other occasion waits, decided on the next run.
    first_run = runner.run(policy.CROSS_SELLING, TODAY)
    journey.catch_up_views()
    next_run = runner.run(policy.CROSS_SELLING, TODAY)
    journey.catch_up_views()

    assert (first_run.made, first_run.waiting) == (1, 1)
    assert (next_run.made, next_run.waiting, next_run.decided_before) == (1, 0, 1)
    occasions = [x["occasion"] for x in journey.reads.marketing("buyer")["contacts"]]
    assert sorted(occasions) == sorted(["order-buyer-o5", f"order-{second}"])


def test_finding_by_pages_yields_every_row_once_even_when_a_customer_fills_a_page():
    from services.campaigns import _paged

    rows = [("a", 1), ("b", 1), ("b", 2), ("b", 3), ("c", 1), ("d", 1)]
    asked: list[tuple[str | None, int]] = []

    def find(after: str | None, limit: int) -> list[tuple[str, int]]:
        asked.append((after, limit))
        return [r for r in rows if after is None or r[0] > after][:limit]

    assert list(_paged(find, 2)) == rows
    assert asked[:3] == [(None, 2), ("a", 2), ("a", 4)]  # b's rows fill a page: asked again, twice as many


def test_a_run_in_many_chunks_decides_as_one_in_one_and_a_failed_read_fails_the_run(journey, shop, monkeypatch):
    import services.campaigns

    foreseen = {name: campaigns(journey).run(name, TODAY, dry_run=True) for name in policy.POLICIES}
    monkeypatch.setattr(services.campaigns, "CHUNK", 2)  # a customer's documents read while another's are decided
    monkeypatch.setattr(services.campaigns, "FOUND_PAGE", 1)  # the finders' pages: one row each

    chunked = {name: campaigns(journey).run(name, TODAY, dry_run=True) for name in policy.POLICIES}

    for name in policy.POLICIES:
        assert (chunked[name].customers, chunked[name].made, chunked[name].refused, chunked[name].waiting,
                chunked[name].reasons) == (foreseen[name].customers, foreseen[name].made, foreseen[name].refused,
                                           foreseen[name].waiting, foreseen[name].reasons), name
    reads, read = [], journey.store.read_customers

    def failing(*args: Any) -> Any:
        reads.append(args)
        if len(reads) == 2:
            raise RuntimeError("the database went away")
        return read(*args)

    monkeypatch.setattr(journey.store, "read_customers", failing)
    head = journey.service.head()
    with pytest.raises(RuntimeError, match="went away"):
        campaigns(journey).run(policy.BIRTHDAY, TODAY)
    assert journey.service.head() - head <= 2  # the first chunk's contacts at most, never a half-read one
