"""The contact rule under random interleavings of consents, preferences, invoices, dunning,
payments, disputes, complaints, clock moves, contacts (campaign occasions among them) and runs
of every campaign policy.

A small reference model in this file, fed the raw stream (decoded events, in stream order), and
not using domain.contact, says for every recorded contact which reasons its position gave to
refuse it. Then:
(a) no contact was made while consent, the customer's caps, his quiet hours or a hold forbade
    it; every refused contact names exactly the reasons the model finds;
(b) no occasion of a campaign was decided twice;
(c) after every step, marketing's view shows, for every channel and purpose, exactly the
    reasons the model finds now (the view and the rule read the same history).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import commands as c
from domain.campaigns import POLICIES, CampaignSettings
from domain.contact import Cap, Channel, Preferences, Purpose, QuietHours
from domain.errors import DomainError
from domain.values import Department, Principal
from services.campaigns import Campaigns, load_affinity
from services.clock import FixedClock
from tests.integration.helpers import BILLING, SALES, SUPPORT, eur, lines, open_journey, stream

EXAMPLES = {"sqlite": 25, "postgres": 10}
MARKETER = Principal(Department.MARKETING, user="mia")
#: The channels and purposes steps pick from: few, so that consents and contacts meet.
CHANNELS, PURPOSES = (Channel.EMAIL, Channel.SMS, Channel.LETTER), (Purpose.MARKETING, Purpose.SERVICE)
PROMOTIONAL = {"marketing", "newsletter", "events"}
ZONES = ("UTC", "Europe/Berlin", "America/New_York")
KINDS = (
    "consent", "consent", "confirm", "withdraw", "prefs", "prefs", "invoice", "dun", "dun", "pay",
    "complain", "resolve", "dispute", "settle", "advance", "advance", "contact", "contact", "contact", "contact",
    "contact", "contact", "campaign", "campaign",
)
#: Campaign runs among the steps: every policy, over the examples' customers (birthdays on the
#: first days of January, a short dormancy, an event for whoever spent 40 EUR).
CAMPAIGN_SETTINGS = CampaignSettings(dormant_days=3, top_spend=Decimal(40), top_event="gala")
STEP = st.tuples(st.sampled_from(KINDS), st.integers(0, 1), st.integers(0, 19), st.integers(0, 40))


@dataclass
class Book:
    """The reference model of one customer: what the raw stream says, in plain dicts."""

    consents: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    withdrawals: dict[tuple[str, str], datetime] = field(default_factory=dict)
    caps: list[dict[str, Any]] = field(default_factory=list)
    quiet: dict[str, Any] | None = None
    made: list[tuple[datetime, str, str]] = field(default_factory=list)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    complaints: set[str] = field(default_factory=set)
    occasions: set[tuple[str, str]] = field(default_factory=set)

    def reasons(self, channel: str, purpose: str, at: datetime) -> Counter[str]:
        found: Counter[str] = Counter()
        consent = self.consents.get((channel, purpose))
        if consent is None:
            found["consent-withdrawn" if (channel, purpose) in self.withdrawals else "no-consent"] += 1
        else:
            if consent["expires_on"] is not None and at.date() > consent["expires_on"]:
                found["consent-expired"] += 1
            if not consent["confirmed"]:
                found["opt-in-unconfirmed"] += 1
        if purpose in PROMOTIONAL:
            for cap in self.caps:
                if cap["channel"] not in (None, channel):
                    continue
                counted = [m for m in self.made if m[2] in PROMOTIONAL and at - timedelta(days=cap["days"]) < m[0] <= at
                           and cap["channel"] in (None, m[1])]
                if len(counted) >= cap["limit"]:
                    found["cap-reached"] += 1
            if any(i["amount"] > i["paid"] and (i["level"] >= 2 or i["handed"]) for i in self.invoices.values()):
                found["hold:dunning"] += 1
            if any(i["dispute"] for i in self.invoices.values()):
                found["hold:dispute"] += 1
            if self.complaints:
                found["hold:complaint"] += 1
            promotional = [w for (_, p), w in self.withdrawals.items() if p in PROMOTIONAL]
            if promotional and at < max(promotional) + timedelta(days=30):
                found["hold:withdrawal"] += 1
        if self.quiet is not None and channel != "letter":
            local = at.astimezone(ZoneInfo(self.quiet["timezone"])).time()
            start, end = time.fromisoformat(self.quiet["start"]), time.fromisoformat(self.quiet["end"])
            if (start <= local < end) if start < end else (local >= start or local < end):
                found["quiet-hours"] += 1
        return found


class Model:
    """Feeds the raw stream into one Book per customer and checks every contact on the way."""

    def __init__(self) -> None:
        self.books: dict[str, Book] = {}
        self.owner: dict[Any, str] = {}
        self.after = 0
        self.contacts = 0
        self.refused = 0
        self.codes: Counter[str] = Counter()

    def feed(self, journey: Any) -> None:
        for event, position in stream(journey, self.after):
            self.apply(event)
            self.after = position

    def apply(self, e: Any) -> None:  # noqa: PLR0912 -- one case per event type
        name = type(e).__qualname__
        customer = getattr(e, "customer_id", None) or self.owner.get(e.originator_id)
        if customer is None:
            return
        self.owner[e.originator_id] = customer
        book = self.books.setdefault(customer, Book())
        match name:
            case "ContactBook.ConsentGiven":
                book.consents[(e.channel, e.purpose)] = {"confirmed": e.confirmed, "expires_on": e.expires_on}
            case "ContactBook.ConsentConfirmed":
                book.consents[(e.channel, e.purpose)]["confirmed"] = True
            case "ContactBook.ConsentWithdrawn":
                book.consents.pop((e.channel, e.purpose), None)
                book.withdrawals[(e.channel, e.purpose)] = e.at
            case "ContactBook.PreferencesSet":
                book.caps, book.quiet = e.caps, e.quiet_hours
            case "ContactBook.ContactMade" | "ContactBook.ContactRefused":
                self.check_contact(book, name, e)
            case "Invoice.Issued":
                book.invoices[e.invoice_id] = {"amount": e.amount.amount, "paid": Decimal(0), "level": 0,
                                               "handed": False, "dispute": False}
            case "Invoice.PaymentReceived":
                self.invoice(book, e)["paid"] += e.amount.amount
            case "Invoice.DunningLevelReached":
                self.invoice(book, e)["level"] = e.level
            case "Invoice.HandedToCollection":
                self.invoice(book, e)["handed"] = True
            case "Invoice.DisputeOpened" | "Invoice.DisputeResolved":
                self.invoice(book, e)["dispute"] = name == "Invoice.DisputeOpened"
            case "Complaint.Filed":
                book.complaints.add(e.complaint_id)
                self.owner[(e.originator_id, "complaint")] = e.complaint_id
            case "Complaint.Resolved":
                book.complaints.discard(self.owner[(e.originator_id, "complaint")])
            case _:
                pass
        if name == "Invoice.Issued":
            self.owner[(e.originator_id, "invoice")] = e.invoice_id

    def invoice(self, book: Book, e: Any) -> dict[str, Any]:
        return book.invoices[self.owner[(e.originator_id, "invoice")]]

    def check_contact(self, book: Book, name: str, e: Any) -> None:
        """(a) and (b) for one recorded contact, on the model's state before it."""
        expected = book.reasons(e.channel, e.purpose, e.at)
        if name == "ContactBook.ContactMade":
            assert not expected, (e.contact_id, expected)
            book.made.append((e.at, e.channel, e.purpose))
        else:
            assert Counter(r["code"] for r in e.reasons) == expected, (e.contact_id, e.reasons, expected)
            self.refused += 1
            self.codes.update(expected)
        self.contacts += 1
        if e.occasion is not None:
            assert (e.campaign, e.occasion) not in book.occasions, e.occasion
            book.occasions.add((e.campaign, e.occasion))


@dataclass
class Run:
    journey: Any
    clock: FixedClock
    prefix: str
    stats: Counter[str]
    orders: list[tuple[str, str, str]] = field(default_factory=list)  # (customer, order, invoice)
    complaints: list[tuple[str, str]] = field(default_factory=list)
    numbers: Any = field(default_factory=itertools.count)

    def customer(self, who: int) -> str:
        return f"{self.prefix}c{who}"

    def do(self, command: Any, by: Principal) -> None:
        try:
            self.journey.service.execute(command, by)
            self.stats[f"{type(command).__name__} done"] += 1
        except DomainError as error:
            self.stats[f"{type(command).__name__} refused: {error.code}"] += 1

    def step(self, kind: str, who: int, pick: int, number: int) -> None:  # noqa: PLR0912 -- one case per kind
        customer, n = self.customer(who), next(self.numbers)
        channel, purpose = CHANNELS[pick % 3], PURPOSES[(pick // 3) % 2]
        today = self.clock.now().date()
        match kind:
            case "consent":
                expires = None if number % 3 else today + timedelta(days=number // 3)
                self.do(c.GiveConsent(customer, channel, purpose, "web-form", expires, number % 3 != 1), MARKETER)
            case "confirm":
                self.do(c.ConfirmConsent(customer, channel, purpose), MARKETER)
            case "withdraw":
                self.do(c.WithdrawConsent(customer, channel, purpose, "call"), SUPPORT)
            case "prefs":
                caps = (Cap(number % 3, 1 + number % 9, None if pick % 2 else channel),) if number % 4 else ()
                quiet = QuietHours(time(pick, 0), time((pick + 1 + number % 12) % 24, 30), ZONES[number % 3]) \
                    if number % 5 else None
                self.do(c.SetContactPreferences(customer, Preferences(caps, quiet)), MARKETER)
            case "invoice":
                order, invoice = f"{self.prefix}o{n}", f"{self.prefix}i{n}"
                self.do(c.PlaceOrder(customer, order, lines("tools"), "EUR"), SALES)
                self.do(c.IssueInvoice(customer, invoice, order, eur(40), today + timedelta(days=number % 5)), BILLING)
                self.orders.append((customer, order, invoice))
            case "dun" | "pay" | "dispute" | "settle" | "complain" if self.orders:
                owner, order, invoice = self.orders[pick % len(self.orders)]
                command = {
                    "dun": c.HandToCollection(invoice) if number % 7 == 0 else c.DunInvoice(invoice),
                    "pay": c.ReceivePayment(owner, invoice, eur(40)),
                    "dispute": c.OpenDispute(owner, invoice, "not ordered"),
                    "settle": c.ResolveDispute(owner, invoice, "ordered after all"),
                    "complain": c.FileComplaint(owner, f"{self.prefix}k{n}", order, "tools", "broken"),
                }[kind]
                self.do(command, SUPPORT if kind in {"dispute", "settle", "complain"} else BILLING)
                if kind == "complain":
                    self.complaints.append((owner, f"{self.prefix}k{n}"))
            case "resolve" if self.complaints:
                owner, complaint = self.complaints.pop(pick % len(self.complaints))
                self.do(c.ResolveComplaint(owner, complaint, "fixed"), SUPPORT)
            case "advance":
                self.clock.advance(hours=number * (1 + pick))
            case "campaign":
                self.journey.catch_up_views()
                runner = Campaigns(self.journey, CAMPAIGN_SETTINGS, load_affinity(None))
                report = runner.run(POLICIES[pick % len(POLICIES)])
                self.stats[f"campaign {report.policy}: made {report.made > 0}, refused {report.refused > 0}"] += 1
            case "contact":
                occasion = None if number % 3 == 0 else f"o{number % 4}"
                self.do(c.ContactCustomer(customer, f"{self.prefix}K{n}", channel, purpose, "offer", "camp", occasion),
                        MARKETER)
            case _:
                pass


def check_views(journey: Any, model: Model, run: Run, now: datetime) -> None:
    """(c) Marketing's view names, for every channel and purpose, the model's reasons now."""
    journey.catch_up_views()
    for who in (0, 1):
        customer = run.customer(who)
        book = model.books.get(customer, Book())
        for shown in journey.reads.marketing(customer)["contactability"]:
            expected = book.reasons(shown["channel"], shown["purpose"], now)
            assert Counter(r["code"] for r in shown["reasons"]) == expected, (customer, shown)
            assert shown["allowed"] == (not expected)


def test_no_contact_breaks_consent_caps_quiet_hours_or_a_hold_and_no_occasion_is_decided_twice(database_url):
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    examples = int(os.environ.get("JOURNEY_PROPERTY_EXAMPLES", EXAMPLES[backend]))
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    clock = FixedClock(start)
    journey = open_journey(database_url, clock)
    model, stats, numbers = Model(), Counter(), itertools.count()

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(steps=st.lists(STEP, min_size=25, max_size=60))
    def example(steps: list[tuple[str, int, int, int]]) -> None:
        clock.set(start)
        run = Run(journey, clock, f"x{next(numbers)}-", stats)
        for who in (0, 1):
            customer = run.customer(who)
            journey.service.execute(c.RegisterCustomer(customer, "Kim", f"kim{who}@example.org", date(1990, 1, 1 + who)),
                                    SALES)
            for channel, purpose in ((Channel.EMAIL, Purpose.MARKETING), (Channel.LETTER, Purpose.MARKETING),
                                     (Channel.SMS, Purpose.SERVICE)):
                journey.service.execute(c.GiveConsent(customer, channel, purpose, "store", None, True), SALES)
        for kind, who, pick, number in steps:
            run.step(kind, who, pick, number)
            model.feed(journey)
            check_views(journey, model, run, clock.now())

    try:
        example()
    finally:
        journey.close()
    # The interesting paths were reached: contacts made, and refused for each kind of reason.
    assert model.contacts > model.refused > 0, stats
    assert stats["ContactCustomer refused: occasion-decided"] > 0, stats
    assert "no-consent" in model.codes and len(model.codes) >= 3, model.codes  # several kinds of reason met
    assert any(k.startswith("campaign") and "True" in k for k in stats), stats  # campaign runs recorded contacts
