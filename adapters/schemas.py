"""The data schema of every CloudEvents type the journey accepts: the one definition that
validates input, documents the API and generates the event catalogue (docs/events.md)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from domain import commands as c
from domain.contact import Cap, Channel, Preferences, Purpose, QuietHours
from domain.values import Money, OrderLine

#: Identifiers: no control characters (PostgreSQL text cannot hold NUL, and none belongs in an id).
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
#: Free text: line breaks and tabs, but no other control characters.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True, pattern=TEXT_PATTERN)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True, pattern=ID_PATTERN)]
#: A name of the company's own (a campaign, a message template, a reward, a consent's source):
#: letters, digits and . _ : - only, so that no free text (and no personal data) hides in it.
LABEL_PATTERN = r"^[A-Za-z0-9._:-]+$"
Label = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=LABEL_PATTERN)]
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


class ConsentGiven(Schema):
    """The customer agreed to be contacted over a channel for a purpose. Promotional e-mail
    (marketing, newsletter, events) needs his confirmation (double opt-in) unless the source
    already ran it: ``double_opt_in_confirmed``."""

    channel: Channel
    purpose: Purpose
    source: Label = Field(description="where he said so: a label such as web-form or store-berlin (no personal data)")
    expires_on: date | None = None
    double_opt_in_confirmed: bool = False

    def command(self, subject: str) -> c.Command:
        return c.GiveConsent(subject, self.channel, self.purpose, self.source, self.expires_on,
                             self.double_opt_in_confirmed)


class ConsentConfirmed(Schema):
    """The customer confirmed his consent (double opt-in)."""

    channel: Channel
    purpose: Purpose

    def command(self, subject: str) -> c.Command:
        return c.ConfirmConsent(subject, self.channel, self.purpose)


class ConsentWithdrawn(Schema):
    """The customer withdrew his consent to a channel and purpose."""

    channel: Channel
    purpose: Purpose
    source: Label = Field(description="where he said so: a label (no personal data)")

    def command(self, subject: str) -> c.Command:
        return c.WithdrawConsent(subject, self.channel, self.purpose, self.source)


class CapIn(Schema):
    limit: int = Field(ge=0, le=1000, description="at most this many promotional contacts")
    days: int = Field(ge=1, le=366, description="in any this many days")
    channel: Channel | None = Field(None, description="on this channel; absent: on all channels together")


#: A local time of day, hours and minutes.
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class QuietHoursIn(Schema):
    start: ClockTime = Field(description="local time (HH:MM) the quiet hours begin, e.g. 22:00")
    end: ClockTime = Field(description="local time (HH:MM) they end, e.g. 08:00 (before start: the next day)")
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        "UTC", description="IANA time zone, e.g. Europe/Berlin")

    @model_validator(mode="after")
    def _known(self) -> QuietHoursIn:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        return self

    def value(self) -> QuietHours:
        return QuietHours(time.fromisoformat(self.start), time.fromisoformat(self.end), self.timezone)


class ContactPreferencesSet(Schema):
    """The customer set how he wants to be contacted: frequency caps, quiet hours, preferred
    channel (replacing what he set before)."""

    caps: list[CapIn] = Field(default_factory=list, max_length=20)
    quiet_hours: QuietHoursIn | None = None
    preferred_channel: Channel | None = None

    def preferences(self) -> Preferences:
        return Preferences(
            tuple(Cap(c.limit, c.days, c.channel) for c in self.caps),
            None if self.quiet_hours is None else self.quiet_hours.value(),
            self.preferred_channel,
        )

    def command(self, subject: str) -> c.Command:
        return c.SetContactPreferences(subject, self.preferences())


class InboundContact(Schema):
    """The customer got in touch: a call, an e-mail, a chat, a store visit."""

    contact_id: Id
    channel: Channel
    note: Text | None = None

    def command(self, subject: str) -> c.Command:
        return c.RecordInboundContact(subject, self.contact_id, self.channel, self.note)


class ContactDelivered(Schema):
    """The mailing tool delivered a contact."""

    contact_id: Id

    def command(self, subject: str) -> c.Command:
        return c.RecordContactResult(subject, self.contact_id, "delivered")


class ContactBounced(Schema):
    """A contact could not be delivered."""

    contact_id: Id
    reason: Text | None = None

    def command(self, subject: str) -> c.Command:
        return c.RecordContactResult(subject, self.contact_id, "bounced", self.reason)


class ContactOpened(Schema):
    """The customer opened a contact (an e-mail, a message)."""

    contact_id: Id

    def command(self, subject: str) -> c.Command:
        return c.RecordContactResult(subject, self.contact_id, "opened")


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
    "consent.given": ConsentGiven,
    "consent.confirmed": ConsentConfirmed,
    "consent.withdrawn": ConsentWithdrawn,
    "contact.preferences_set": ContactPreferencesSet,
    "contact.inbound": InboundContact,
    "contact.delivered": ContactDelivered,
    "contact.bounced": ContactBounced,
    "contact.opened": ContactOpened,
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
    "consent.given": {"channel": "email", "purpose": "newsletter", "source": "web-form", "expires_on": "2028-03-01"},
    "consent.confirmed": {"channel": "email", "purpose": "newsletter"},
    "consent.withdrawn": {"channel": "sms", "purpose": "marketing", "source": "sms-stop-reply"},
    "contact.preferences_set": {"caps": [{"limit": 1, "days": 7}], "preferred_channel": "email",
                                "quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "Europe/Berlin"}},
    "contact.inbound": {"contact_id": "IN-1001", "channel": "phone", "note": "asked about the drill's warranty"},
    "contact.delivered": {"contact_id": "K-1001"},
    "contact.bounced": {"contact_id": "K-1002", "reason": "mailbox full"},
    "contact.opened": {"contact_id": "K-1001"},
}
