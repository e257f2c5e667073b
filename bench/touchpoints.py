"""The generated touchpoints of bench/data.py as an integrator sends them: CloudEvents JSON,
one per request (structured mode) or many per request (batched mode), encoded before timing.

Only integrator events are sent: a payment deferral is a billing decision (a department
command), not a CloudEvent, so the stories' deferrals are left out here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from bench.data import SOURCE, commands
from domain import commands as c
from domain.values import OrderLine

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


def _number(amount: Decimal) -> float:
    # A JSON number, as integrators send it; the server reads numbers as Decimal. Amounts have
    # two decimals and far fewer than 15 digits, so the float's shortest repr is the same text.
    return float(amount)


def _line(line: OrderLine) -> dict[str, Any]:
    return {"sku": line.sku, "product_group": line.product_group, "quantity": line.quantity,
            "unit_price": _number(line.unit_price)}


def _optional(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def type_and_data(command: object, today: date) -> tuple[str, dict[str, Any]] | None:
    """The CloudEvents ``type`` and ``data`` of a generated command; None when it has none.
    Due dates are moved to ``today`` + 30 days, so no date looks stale to the server."""
    match command:
        case c.RegisterCustomer():
            birthday = None if command.birthday is None else command.birthday.isoformat()
            return "customer.registered", _optional(name=command.name, email=command.email, birthday=birthday)
        case c.ChangeContactDetails():
            return "customer.contact_changed", _optional(
                email=command.email, phone=command.phone, address=command.address)
        case c.PlaceOrder():
            return "order.placed", {"order_id": command.order_id, "lines": [_line(ln) for ln in command.lines],
                                    "currency": command.currency}
        case c.ShipOrder():
            return "order.shipped", {"order_id": command.order_id}
        case c.DeliverOrder():
            return "order.delivered", {"order_id": command.order_id}
        case c.IssueInvoice():
            return "invoice.issued", {
                "invoice_id": command.invoice_id, "order_id": command.order_id,
                "amount": _number(command.amount.amount), "currency": command.amount.currency,
                "due_date": (today + timedelta(days=30)).isoformat(),
            }
        case c.RequestDetailedInvoice():
            return "invoice.detailed_requested", _optional(invoice_id=command.invoice_id, note=command.note)
        case c.IssueCorrectedInvoice():
            return "invoice.corrected", _optional(invoice_id=command.invoice_id, note=command.note)
        case c.ReceivePayment():
            return "payment.received", {"invoice_id": command.invoice_id,
                                        "amount": _number(command.amount.amount),
                                        "currency": command.amount.currency}
        case c.OpenDispute():
            return "invoice.dispute_opened", {"invoice_id": command.invoice_id, "reason": command.reason}
        case c.ResolveDispute():
            return "invoice.dispute_resolved", {"invoice_id": command.invoice_id, "resolution": command.resolution}
        case c.FileComplaint():
            return "complaint.filed", {"complaint_id": command.complaint_id, "order_id": command.order_id,
                                       "product_group": command.product_group, "text": command.text}
        case c.AnswerComplaint():
            return "complaint.answered", {"complaint_id": command.complaint_id, "text": command.text}
        case c.ResolveComplaint():
            return "complaint.resolved", {"complaint_id": command.complaint_id, "note": command.note}
    return None


def cloud_events(seed: int, tag: str, *, client: int = 0, clients: int = 1) -> Iterator[tuple[str, dict[str, Any]]]:
    """Endless (customer id, CloudEvent) pairs of one client's own customers, in story order.

    ``clients`` streams with ``client`` = 0 .. clients-1 share no customer; ``tag`` makes the
    CloudEvent ids of one case distinct from another's.
    """
    now = datetime.now(UTC)
    today = now.date()
    for n, command in enumerate(commands(seed, first=client, step=clients)):
        typed = type_and_data(command, today)
        if typed is None:
            continue
        kind, data = typed
        subject = command.customer_id  # type: ignore[attr-defined]
        yield subject, {
            "specversion": "1.0", "id": f"{tag}-{client}-{n}", "source": SOURCE, "type": kind,
            "subject": subject, "time": now.isoformat(), "datacontenttype": "application/json",
            "data": data,
        }


def single_bodies(seed: int, tag: str, count: int, *, client: int = 0, clients: int = 1) -> list[tuple[str, bytes]]:
    """``count`` (customer id, structured-mode body) pairs for one client."""
    stream = cloud_events(seed, tag, client=client, clients=clients)
    return [(subject, json.dumps(event).encode()) for subject, event in islice(stream, count)]


def batch_bodies(seed: int, tag: str, touchpoints: int, batch: int, *, client: int = 0,
                 clients: int = 1) -> list[tuple[int, bytes]]:
    """(touchpoints in it, batched-mode body) pairs carrying ``touchpoints`` in all."""
    stream = cloud_events(seed, tag, client=client, clients=clients)
    bodies: list[tuple[int, bytes]] = []
    left = touchpoints
    while left > 0:
        events = [event for _, event in islice(stream, min(batch, left))]
        bodies.append((len(events), json.dumps(events).encode()))
        left -= len(events)
    return bodies
