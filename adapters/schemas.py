"""The data schema of every CloudEvents type the journey accepts: the one definition that
validates input, documents the API and generates the event catalogue (docs/events.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from domain import commands as c
from domain.values import Money, OrderLine

#: Identifiers: no control characters (PostgreSQL text cannot hold NUL, and none belongs in an id).
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
#: Free text: line breaks and tabs, but no other control characters.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True, pattern=TEXT_PATTERN)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True, pattern=ID_PATTERN)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Amount = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Line(Schema):
    sku: Id
    product_group: Id
    quantity: int = Field(ge=1, le=100_000)
    unit_price: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]

    def value(self) -> OrderLine:
        return OrderLine(self.sku, self.product_group, self.quantity, self.unit_price)


Phone = Annotated[
    str,
    StringConstraints(min_length=3, max_length=40, strip_whitespace=True, pattern=r"^\+?[0-9 ()/.-]+$"),
    Field(description="digits, spaces and ( ) / . - with an optional leading +", examples=["+49 30 1234567"]),
]
#: A postal address as written on a letter, one line per line (street, postal code and city, country).
Address = Annotated[Text, Field(description="the postal address as written on a letter, lines separated by \\n",
                                examples=["Hauptstr. 1\n10115 Berlin\nGermany"])]


class CustomerRegistered(Schema):
    """A customer registered with the shop."""

    name: Text
    email: EmailStr
    birthday: date | None = None
    phone: Phone | None = None
    address: Address | None = None

    def command(self, subject: str) -> c.Command:
        return c.RegisterCustomer(subject, self.name, str(self.email), self.birthday, self.phone, self.address)


class ContactDetailsChanged(Schema):
    """The customer changed e-mail, phone or address."""

    email: EmailStr | None = None
    phone: Phone | None = None
    address: Address | None = None

    def command(self, subject: str) -> c.Command:
        email = None if self.email is None else str(self.email)
        return c.ChangeContactDetails(subject, email, self.phone, self.address)


class OrderPlaced(Schema):
    """The customer placed an order."""

    order_id: Id
    lines: list[Line] = Field(min_length=1, max_length=1000)
    currency: Currency

    def command(self, subject: str) -> c.Command:
        return c.PlaceOrder(subject, self.order_id, tuple(ln.value() for ln in self.lines), self.currency)


class OrderRef(Schema):
    order_id: Id


class OrderShipped(OrderRef):
    """The order left the warehouse."""

    def command(self, subject: str) -> c.Command:
        return c.ShipOrder(subject, self.order_id)


class OrderDelivered(OrderRef):
    """The order reached the customer."""

    def command(self, subject: str) -> c.Command:
        return c.DeliverOrder(subject, self.order_id)


class OrderCancelled(OrderRef):
    """The order was cancelled before shipping."""

    reason: Text | None = None

    def command(self, subject: str) -> c.Command:
        return c.CancelOrder(subject, self.order_id, self.reason)


class OrderReturned(OrderRef):
    """The customer sent back some lines (or, without lines, the whole order)."""

    lines: list[Line] | None = Field(None, min_length=1, max_length=1000)

    def command(self, subject: str) -> c.Command:
        lines = None if self.lines is None else tuple(ln.value() for ln in self.lines)
        return c.ReturnOrder(subject, self.order_id, lines)


class InvoiceIssued(Schema):
    """An invoice was issued for an order."""

    invoice_id: Id
    order_id: Id
    amount: Amount
    currency: Currency
    due_date: date

    def command(self, subject: str) -> c.Command:
        return c.IssueInvoice(
            subject, self.invoice_id, self.order_id, Money(self.amount, self.currency), self.due_date
        )


class DetailedInvoiceRequested(Schema):
    """The customer asked for a detailed invoice; dunning holds until it is answered."""

    invoice_id: Id
    note: Text | None = None

    def command(self, subject: str) -> c.Command:
        return c.RequestDetailedInvoice(subject, self.invoice_id, self.note)


class InvoiceCorrection(Schema):
    """What a corrected invoice may change: the amount (with its currency), the due date."""

    amount: Amount | None = None
    currency: Currency | None = None
    due_date: date | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _amount_has_currency(self) -> InvoiceCorrection:
        if (self.amount is None) != (self.currency is None):
            raise ValueError("amount and currency go together")
        return self

    def correction(self, customer_id: str | None, invoice_id: str) -> c.IssueCorrectedInvoice:
        money = None if self.amount is None else Money(self.amount, self.currency or "")
        return c.IssueCorrectedInvoice(customer_id, invoice_id, money, self.due_date, self.note)


class CorrectedInvoiceIssued(InvoiceCorrection):
    """A corrected, detailed invoice was sent; it answers the open detailed-invoice requests."""

    invoice_id: Id

    def command(self, subject: str) -> c.Command:
        return self.correction(subject, self.invoice_id)


class PaymentReceived(Schema):
    """A payment (partial or full) arrived for an invoice."""

    invoice_id: Id
    amount: Amount
    currency: Currency

    def command(self, subject: str) -> c.Command:
        return c.ReceivePayment(subject, self.invoice_id, Money(self.amount, self.currency))


class DisputeOpened(Schema):
    """The customer disputes an invoice; dunning holds until the dispute is resolved."""

    invoice_id: Id
    reason: Text

    def command(self, subject: str) -> c.Command:
        return c.OpenDispute(subject, self.invoice_id, self.reason)


class DisputeResolved(Schema):
    """The dispute about an invoice was settled."""

    invoice_id: Id
    resolution: Text

    def command(self, subject: str) -> c.Command:
        return c.ResolveDispute(subject, self.invoice_id, self.resolution)


class ComplaintFiled(Schema):
    """The customer complained about an order's product group; dunning of that order's
    invoices holds until the complaint is resolved."""

    complaint_id: Id
    order_id: Id
    product_group: Id
    text: Text

    def command(self, subject: str) -> c.Command:
        return c.FileComplaint(subject, self.complaint_id, self.order_id, self.product_group, self.text)


class ComplaintAnswered(Schema):
    """The customer got an answer to a complaint (it stays open)."""

    complaint_id: Id
    text: Text

    def command(self, subject: str) -> c.Command:
        return c.AnswerComplaint(subject, self.complaint_id, self.text)


class ComplaintResolved(Schema):
    """The complaint was resolved."""

    complaint_id: Id
    note: Text

    def command(self, subject: str) -> c.Command:
        return c.ResolveComplaint(subject, self.complaint_id, self.note)


#: CloudEvents ``type`` -> the schema of its ``data``.
EVENT_TYPES: dict[str, type[Any]] = {
    "customer.registered": CustomerRegistered,
    "customer.contact_changed": ContactDetailsChanged,
    "order.placed": OrderPlaced,
    "order.shipped": OrderShipped,
    "order.delivered": OrderDelivered,
    "order.cancelled": OrderCancelled,
    "order.returned": OrderReturned,
    "invoice.issued": InvoiceIssued,
    "invoice.detailed_requested": DetailedInvoiceRequested,
    "invoice.corrected": CorrectedInvoiceIssued,
    "invoice.dispute_opened": DisputeOpened,
    "invoice.dispute_resolved": DisputeResolved,
    "payment.received": PaymentReceived,
    "complaint.filed": ComplaintFiled,
    "complaint.answered": ComplaintAnswered,
    "complaint.resolved": ComplaintResolved,
}

_LINE = {"sku": "BOSCH-GSR18", "product_group": "power-tools", "quantity": 1, "unit_price": "189.00"}

#: One example ``data`` per type (the hardware shop's story): shown in the OpenAPI and checked
#: against its schema by the tests.
EXAMPLES: dict[str, dict[str, Any]] = {
    "customer.registered": {"name": "Max Mustermann", "email": "max@example.org", "birthday": "1980-05-17",
                            "phone": "+49 30 1234567", "address": "Hauptstr. 1\n10115 Berlin\nGermany"},
    "customer.contact_changed": {"phone": "+49 30 7654321"},
    "order.placed": {"order_id": "O-1001", "currency": "EUR", "lines": [
        _LINE, {"sku": "BIT-SET-32", "product_group": "accessories", "quantity": 1, "unit_price": "24.90"}]},
    "order.shipped": {"order_id": "O-1001"},
    "order.delivered": {"order_id": "O-1001"},
    "order.cancelled": {"order_id": "O-1002", "reason": "ordered twice"},
    "order.returned": {"order_id": "O-1001", "lines": [_LINE]},
    "invoice.issued": {"invoice_id": "INV-1001", "order_id": "O-1001", "amount": "213.90", "currency": "EUR",
                       "due_date": "2026-03-16"},
    "invoice.detailed_requested": {"invoice_id": "INV-1001", "note": "please itemise the drill set"},
    "invoice.corrected": {"invoice_id": "INV-1001", "note": "itemised invoice sent"},
    "invoice.dispute_opened": {"invoice_id": "INV-1001", "reason": "the bit set was never delivered"},
    "invoice.dispute_resolved": {"invoice_id": "INV-1001", "resolution": "found in the parcel"},
    "payment.received": {"invoice_id": "INV-1001", "amount": "213.90", "currency": "EUR"},
    "complaint.filed": {"complaint_id": "CP-1", "order_id": "O-1001", "product_group": "power-tools",
                        "text": "the drill smokes"},
    "complaint.answered": {"complaint_id": "CP-1", "text": "a replacement is on its way"},
    "complaint.resolved": {"complaint_id": "CP-1", "note": "replacement delivered"},
}
