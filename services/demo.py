"""A realistic demo: the hardware-shop story plus generated customers, loaded through the same
CloudEvents schemas integrators use. Event ids are deterministic, so loading twice stores
nothing new."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.cloudevents import to_submission
from domain import commands as c
from domain.errors import DomainError
from domain.values import Department, Principal
from services.bootstrap import Journey
from services.journey import ConflictError, RejectedError
from services.reads import NotCaughtUpError

SOURCE = "demo-shop"
CATALOGUE = [
    ("BOSCH-GSR18", "power-tools", Decimal("189.00")),
    ("MAKITA-DHP482", "power-tools", Decimal("149.90")),
    ("BIT-SET-32", "accessories", Decimal("24.90")),
    ("SAW-BLADE-190", "accessories", Decimal("17.50")),
    ("LADDER-3X9", "ladders", Decimal("129.00")),
    ("WORKBENCH-PRO", "workshop", Decimal("249.00")),
    ("GLOVES-L", "safety", Decimal("9.90")),
]


FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Lena", "Paul"]
LAST_NAMES = ["Becker", "Fischer", "Hoffmann", "Koch", "Meyer", "Richter", "Schneider", "Schulz", "Wagner", "Weber"]
STREETS = ["Bahnhofstr.", "Gartenweg", "Lindenallee", "Marktplatz", "Schillerstr.", "Waldweg"]
CITIES = ["Berlin", "Bremen", "Dresden", "Hamburg", "Köln", "Leipzig", "München"]


class DemoCannotLoadError(Exception):
    """The store holds something the demo would contradict: the demo from another day, or
    touchpoints of its own (e.g. the README's story) under the demo's ids."""


#: Where a fresh store for the demo can be: said in every "cannot load" message.
FRESH_STORE_HINT = (
    "load the demo into an empty store, e.g. JOURNEY_DATABASE_URL=sqlite:///var/demo.sqlite make demo "
    "(and serve that store with the same variable)"
)


class _Events:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, type_: str, subject: str, at: datetime, data: dict[str, Any]) -> None:
        self.items.append({
            "specversion": "1.0", "id": f"{subject}-{len(self.items)}", "source": SOURCE,
            "type": type_, "subject": subject, "time": at.isoformat(), "data": data,
        })


def _story(events: _Events, now: datetime) -> None:
    """The customer who asked for a detailed invoice, was told to hold payment, and must not
    be dunned meanwhile."""
    day = lambda n: now - timedelta(days=n)  # noqa: E731
    events.add("customer.registered", "hw-1001", day(40), {
        "name": "Max Mustermann", "email": "max@example.org", "phone": "+49 30 1234567",
        "address": "Hauptstr. 1\n10115 Berlin\nGermany"})
    events.add("order.placed", "hw-1001", day(40), {"order_id": "O-1001", "currency": "EUR", "lines": [
        {"sku": "BOSCH-GSR18", "product_group": "power-tools", "quantity": 1, "unit_price": "189.00"},
        {"sku": "BIT-SET-32", "product_group": "accessories", "quantity": 1, "unit_price": "24.90"},
    ]})
    events.add("order.shipped", "hw-1001", day(38), {"order_id": "O-1001"})
    events.add("order.delivered", "hw-1001", day(36), {"order_id": "O-1001"})
    events.add("invoice.issued", "hw-1001", day(35), {
        "invoice_id": "INV-1001", "order_id": "O-1001", "amount": "213.90", "currency": "EUR",
        "due_date": day(21).date().isoformat(),
    })
    events.add("invoice.detailed_requested", "hw-1001", day(30), {
        "invoice_id": "INV-1001", "note": "please itemise the drill set for my company's books",
    })


def _generated(events: _Events, now: datetime, customers: int, rng: random.Random) -> None:
    for n in range(customers):
        subject = f"c-{n:05d}"
        start = now - timedelta(days=rng.randint(30, 200))
        events.add("customer.registered", subject, start, {
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "email": f"customer{n}@example.org",
            "birthday": date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)).isoformat(),
            "phone": f"+49 {rng.randint(30, 89)} {rng.randint(100000, 9999999)}",
            "address": f"{rng.choice(STREETS)} {rng.randint(1, 120)}\n{rng.randint(10000, 99999)} {rng.choice(CITIES)}",
        })
        _contact_rights(events, subject, start, random.Random(n))  # noqa: S311 -- its own, so the rest stays as it was
        for o in range(rng.randint(1, 3)):
            order_id, at = f"O-{n:05d}-{o}", start + timedelta(days=o * 7)
            lines: list[dict[str, Any]] = [
                {"sku": sku, "product_group": group, "quantity": q, "unit_price": str(price)}
                for sku, group, price in rng.sample(CATALOGUE, rng.randint(1, 3))
                for q in [rng.randint(1, 3)]
            ]
            total = sum((Decimal(ln["unit_price"]) * ln["quantity"] for ln in lines), Decimal(0))
            events.add("order.placed", subject, at, {"order_id": order_id, "currency": "EUR", "lines": lines})
            events.add("order.shipped", subject, at + timedelta(days=1), {"order_id": order_id})
            events.add("order.delivered", subject, at + timedelta(days=3), {"order_id": order_id})
            invoice_id = f"INV-{n:05d}-{o}"
            events.add("invoice.issued", subject, at + timedelta(days=1), {
                "invoice_id": invoice_id, "order_id": order_id, "amount": str(total),
                "currency": "EUR", "due_date": (at + timedelta(days=15)).date().isoformat(),
            })
            roll = rng.random()
            if roll < 0.6:
                events.add("payment.received", subject, at + timedelta(days=10), {
                    "invoice_id": invoice_id, "amount": str(total), "currency": "EUR"})
            elif roll < 0.75:
                events.add("payment.received", subject, at + timedelta(days=12), {
                    "invoice_id": invoice_id, "amount": str((total / 2).quantize(Decimal("0.01"))),
                    "currency": "EUR"})
            if rng.random() < 0.15:
                complaint_id = f"K-{n:05d}-{o}"
                group = lines[0]["product_group"]
                events.add("complaint.filed", subject, at + timedelta(days=5), {
                    "complaint_id": complaint_id, "order_id": order_id, "product_group": group,
                    "text": f"the {group} item arrived damaged"})
                if rng.random() < 0.6:
                    events.add("complaint.resolved", subject, at + timedelta(days=9), {
                        "complaint_id": complaint_id, "note": "replacement sent"})
            if rng.random() < 0.1:
                events.add("invoice.detailed_requested", subject, at + timedelta(days=4), {
                    "invoice_id": invoice_id, "note": "itemised invoice please"})


def _contact_rights(events: _Events, subject: str, at: datetime, rng: random.Random) -> None:
    """What the generated customer agreed to at the shop: most to marketing e-mail (confirmed),
    some to letters, a few with a weekly cap and quiet hours."""
    if rng.random() < 0.7:
        events.add("consent.given", subject, at, {"channel": "email", "purpose": "marketing", "source": "web-form",
                                                  "double_opt_in_confirmed": True})
    if rng.random() < 0.4:
        events.add("consent.given", subject, at, {"channel": "letter", "purpose": "marketing", "source": "store"})
    if rng.random() < 0.2:
        events.add("contact.preferences_set", subject, at, {
            "caps": [{"limit": 1, "days": 7}], "quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "Europe/Berlin"}})


def load_demo(journey: Journey, customers: int = 300, seed: int = 7) -> dict[str, Any]:
    """Load the story and ``customers`` generated customers; then support grants the story's
    customer a deferral and billing runs one dunning round over the candidates. Returns what
    it did and a few customer ids to try; DemoCannotLoadError says why it cannot."""
    now = journey.clock.now().replace(hour=9, minute=0, second=0, microsecond=0)
    events = _Events()
    _story(events, now)
    _generated(events, now, customers, random.Random(seed))  # noqa: S311 -- reproducible demo data, not secrets
    submissions = [to_submission(raw) for raw in events.items]
    stored = 0
    try:
        for start in range(0, len(submissions), 250):
            accepted = journey.service.ingest(submissions[start : start + 250])
            stored += sum(not a.duplicate for a in accepted)
    except ConflictError:
        raise DemoCannotLoadError(
            "the demo was loaded on another day (its events carry that day's times); set JOURNEY_CLOCK "
            f"to that day, or {FRESH_STORE_HINT}"
        ) from None
    except RejectedError as rejected:
        raise DemoCannotLoadError(
            f"the store already holds touchpoints the demo would contradict ({rejected.error}); {FRESH_STORE_HINT}"
        ) from None
    examples = example_customers(events.items)
    if not stored:  # loaded before: the department actions were taken then
        return {"touchpoints": len(submissions), "stored": 0, "dunned": 0, "examples": examples}
    support = Principal(Department.SUPPORT, user="sam")
    journey.service.execute(
        c.GrantDeferral("hw-1001", "INV-1001", now.date() + timedelta(days=14),
                        "hold payment until the detailed invoice arrives"),
        support,
    )
    try:
        journey.catch_up_views()
    except NotCaughtUpError as error:
        raise DemoCannotLoadError(
            f"the touchpoints are stored, but the views are fed from Kafka and {error}; its dunning round "
            "needs them: start `journey relay` and `journey project --source kafka` before loading the demo"
        ) from None
    dunned = 0
    billing = Principal(Department.BILLING, user="dunning-run")
    candidates: list[str] = []
    cursor: str | None = None
    while True:  # every page first: dunning changes the candidates being paged through
        page = journey.reads.dunning_candidates(limit=1000, cursor=cursor)
        candidates += [candidate["invoice_id"] for candidate in page["candidates"]]
        if (cursor := page["next_cursor"]) is None:
            break
    for invoice_id in candidates:
        try:
            journey.service.execute(c.DunInvoice(invoice_id), billing)
            dunned += 1
        except DomainError:
            continue
    return {"touchpoints": len(submissions), "stored": stored, "dunned": dunned, "examples": examples}


def example_customers(events: list[dict[str, Any]]) -> dict[str, str]:
    """A few customers worth a look: the story's, one with a complaint, one with a partial
    payment, one who asked for a detailed invoice."""
    found = {"the story (held by a promise and a request)": "hw-1001"}
    wanted = {
        "complaint.filed": "with a complaint",
        "invoice.detailed_requested": "who asked for a detailed invoice",
        "order.cancelled": "with a cancelled order",
    }
    for event in events:
        label = wanted.get(event["type"])
        if label and label not in found and event["subject"] != "hw-1001":
            found[label] = event["subject"]
    return found
