"""Realistic, reproducible touchpoints: customers who register, order, are invoiced, pay, ask
for detailed invoices, are granted deferrals and complain, interleaved as a shop would send them.

Everything is generated lazily from a seed, so a worker holds one batch at a time (its peak RSS
does not grow with the size of the run) and two runs with the same seed send the same stream.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from domain import commands as c
from domain.contact import Cap, Channel, Preferences, Purpose, QuietHours
from domain.values import Money, OrderLine
from services.journey import Submission

SOURCE = "bench://shop"
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
STEP = timedelta(seconds=10)  # stream time between two touchpoints of the whole shop
#: The longest a stream of known length spans: the stories' fixed days (invoices due on day 30,
#: deferrals until day 80, at most 90 days after they are granted) stay valid all along.
SPAN = timedelta(days=20)
PRODUCT_GROUPS = ("garden", "kitchen", "toys", "books", "electronics", "sports", "fashion")
WINDOW = 64  # customers active at the same time; their touchpoints interleave

#: Commands that store more than their touchpoint: a cancellation credits the order's invoice.
#: (A customer's first consent also opens his contact book: ``max_events`` counts it not.)
TWO_EVENTS = (c.CancelOrder, c.ReturnOrder)


def stored_events(command: object) -> int:
    """Events that ingesting ``command`` stores: the touchpoint (and a credit note, at most one
    invoice per generated order); idempotency keys are kept beside the stream."""
    return 2 if isinstance(command, TWO_EVENTS) else 1


def _lines(rng: random.Random, order_id: str) -> tuple[OrderLine, ...]:
    return tuple(
        OrderLine(
            sku=f"SKU-{rng.randrange(10_000):05d}",
            product_group=rng.choice(PRODUCT_GROUPS),
            quantity=rng.randint(1, 3),
            unit_price=Decimal(rng.randrange(199, 25_000)) / 100,
        )
        for _ in range(rng.choice((1, 1, 2, 3)))
    )


def customer_story(rng: random.Random, index: int) -> list[object]:
    """The touchpoints of one customer, in the order they happen."""
    cid = f"C{index:07d}"
    story: list[object] = [
        c.RegisterCustomer(
            cid, f"Customer {index}", f"customer{index}@example.org",
            date(1950 + rng.randrange(55), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.5 else None,
        )
    ]
    if rng.random() < 0.1:
        story.append(c.ChangeContactDetails(cid, phone=f"+49 30 {rng.randrange(10**7):07d}"))
    for n in range(1 if rng.random() < 0.8 else 2):
        oid, iid = f"O{index:07d}-{n}", f"I{index:07d}-{n}"
        lines = _lines(rng, oid)
        total = sum((ln.total for ln in lines), Decimal(0))
        story += [
            c.PlaceOrder(cid, oid, lines, "EUR"),
            c.IssueInvoice(cid, iid, oid, Money(total, "EUR"), START.date() + timedelta(days=30)),
        ]
        if rng.random() < 0.85:
            story.append(c.ShipOrder(cid, oid))
            if rng.random() < 0.8:
                story.append(c.DeliverOrder(cid, oid))
        complaint = f"K{index:07d}-{n}" if rng.random() < 0.2 else None
        if complaint:
            story.append(c.FileComplaint(
                cid, complaint, oid, lines[0].product_group, "The parcel arrived damaged."
            ))
        if rng.random() < 0.1:
            story += [
                c.RequestDetailedInvoice(cid, iid, "please itemise shipping"),
                c.IssueCorrectedInvoice(cid, iid, note="itemised"),
            ]
        if rng.random() < 0.1:
            story.append(c.GrantDeferral(
                cid, iid, START.date() + timedelta(days=80), "customer asked for more time"
            ))
        if rng.random() < 0.03:
            story += [
                c.OpenDispute(cid, iid, "amount disputed"),
                c.ResolveDispute(cid, iid, "explained the charges"),
            ]
        if rng.random() < 0.75:
            if rng.random() < 0.7:
                story.append(c.ReceivePayment(cid, iid, Money(total, "EUR")))
            else:
                half = (total / 2).quantize(Decimal("0.01"))
                story += [
                    c.ReceivePayment(cid, iid, Money(half, "EUR")),
                    c.ReceivePayment(cid, iid, Money(total - half, "EUR")),
                ]
        if complaint:
            if rng.random() < 0.7:
                story.append(c.AnswerComplaint(cid, complaint, "We are sending a replacement."))
            if rng.random() < 0.6:
                story.append(c.ResolveComplaint(cid, complaint, "replacement delivered"))
    return story


def contact_rights(index: int) -> list[object]:
    """What customer ``index`` agreed to (its own random numbers, so the rest of the stream is
    the same with or without them): most to marketing e-mail, some to letters, a few with a
    weekly cap and quiet hours."""
    rng, cid = random.Random(index), f"C{index:07d}"  # noqa: S311 -- generated data, not secrets
    found: list[object] = []
    if rng.random() < 0.7:
        found.append(c.GiveConsent(cid, Channel.EMAIL, Purpose.MARKETING, "web-form", None, True))
    if rng.random() < 0.4:
        found.append(c.GiveConsent(cid, Channel.LETTER, Purpose.MARKETING, "store"))
    if rng.random() < 0.2:
        found.append(c.SetContactPreferences(cid, Preferences((Cap(1, 7),), QuietHours(time(21), time(8), "Europe/Berlin"))))
    return found


def commands(
    seed: int, *, first: int = 0, step: int = 1, customers_at_most: int | None = None, with_rights: bool = False,
) -> Iterator[object]:
    """A stream of commands: ``WINDOW`` customers at a time, each in story order; endless, or
    until ``customers_at_most`` customers told their whole story. ``with_rights``: each
    customer's consents and preferences follow his registration.

    Customers are numbered ``first``, ``first + step``, ...: ``step`` streams with firsts
    ``0 .. step-1`` share no customer, so concurrent clients can each send their own.
    """
    rng = random.Random(seed * 1_000_003 + first if step > 1 else seed)
    customers = 0
    active: list[Iterator[object]] = []
    while True:
        while len(active) < WINDOW and (customers_at_most is None or customers < customers_at_most):
            index = first + step * customers
            story = customer_story(rng, index)
            if with_rights:
                story[1:1] = contact_rights(index)
            active.append(iter(story))
            customers += 1
        if not active:
            return
        slot = rng.randrange(len(active))
        command = next(active[slot], None)
        if command is None:
            active[slot] = active[-1]
            active.pop()
            continue
        yield command


def submissions(
    seed: int, *, max_touchpoints: int | None = None, max_events: int | None = None,
    customers: int | None = None, with_rights: bool = False,
) -> Iterator[Submission]:
    """Submissions as the CloudEvents edge would build them, until either limit is reached (or
    ``customers`` customers told their whole story)."""
    touchpoints = events = 0
    limits = [n for n in (max_touchpoints, max_events, customers and customers * 12) if n]
    step = min(STEP, SPAN / min(limits)) if limits else STEP  # (a customer tells about 10 touchpoints)
    for command in commands(seed, customers_at_most=customers, with_rights=with_rights):
        if max_touchpoints is not None and touchpoints >= max_touchpoints:
            return
        if max_events is not None and events >= max_events:
            return
        name = type(command).__name__
        yield Submission(
            source=SOURCE,
            event_id=f"evt-{seed}-{touchpoints}",
            type=f"com.example.shop.{name}",
            digest=hashlib.sha256(repr(command).encode()).hexdigest(),
            command=command,  # type: ignore[arg-type]
            time=START + touchpoints * step,
        )
        touchpoints += 1
        events += stored_events(command)
