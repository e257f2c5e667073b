"""Commands: what a department or an integrator asks the journey to record.

Each names the customer it concerns and carries domain values only; the edge (HTTP, CloudEvents)
builds them from validated input, and the application handles each in one unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.contact import Channel, Preferences, Purpose
from domain.values import Money, OrderLine


@dataclass(frozen=True)
class RegisterCustomer:
    customer_id: str
    name: str
    email: str
    birthday: date | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class ChangeContactDetails:
    customer_id: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class PlaceOrder:
    customer_id: str
    order_id: str
    lines: tuple[OrderLine, ...]
    currency: str


@dataclass(frozen=True)
class ShipOrder:
    customer_id: str
    order_id: str


@dataclass(frozen=True)
class DeliverOrder:
    customer_id: str
    order_id: str


@dataclass(frozen=True)
class CancelOrder:
    customer_id: str
    order_id: str
    reason: str | None = None


@dataclass(frozen=True)
class ReturnOrder:
    customer_id: str
    order_id: str
    lines: tuple[OrderLine, ...] | None = None


@dataclass(frozen=True)
class IssueInvoice:
    customer_id: str
    invoice_id: str
    order_id: str
    amount: Money
    due_date: date


@dataclass(frozen=True)
class RequestDetailedInvoice:
    customer_id: str | None
    invoice_id: str
    note: str | None = None


@dataclass(frozen=True)
class IssueCorrectedInvoice:
    customer_id: str | None
    invoice_id: str
    amount: Money | None = None
    due_date: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class ReceivePayment:
    customer_id: str | None
    invoice_id: str
    amount: Money


@dataclass(frozen=True)
class IssueCreditNote:
    invoice_id: str
    amount: Money
    reason: str


@dataclass(frozen=True)
class WriteOffInvoice:
    invoice_id: str
    reason: str


@dataclass(frozen=True)
class OffsetCredit:
    """Offset the customer's credit (overpayments, credit notes) against its open invoices;
    only in ``currency`` when given."""

    customer_id: str
    currency: str | None = None


@dataclass(frozen=True)
class RevokeDeferral:
    invoice_id: str
    number: int
    reason: str


@dataclass(frozen=True)
class ShortenDeferral:
    invoice_id: str
    number: int
    until: date
    reason: str


@dataclass(frozen=True)
class GrantDeferral:
    customer_id: str | None
    invoice_id: str
    until: date
    reason: str


@dataclass(frozen=True)
class OpenDispute:
    customer_id: str | None
    invoice_id: str
    reason: str


@dataclass(frozen=True)
class ResolveDispute:
    customer_id: str | None
    invoice_id: str
    resolution: str


@dataclass(frozen=True)
class DunInvoice:
    invoice_id: str


@dataclass(frozen=True)
class HandToCollection:
    invoice_id: str


@dataclass(frozen=True)
class FileComplaint:
    customer_id: str
    complaint_id: str
    order_id: str
    product_group: str
    text: str


@dataclass(frozen=True)
class AnswerComplaint:
    customer_id: str | None
    complaint_id: str
    text: str


@dataclass(frozen=True)
class ResolveComplaint:
    customer_id: str | None
    complaint_id: str
    note: str


@dataclass(frozen=True)
class ErasePersonalData:
    """Erase the customer's personal data (right to be forgotten)."""

    customer_id: str


@dataclass(frozen=True)
class GiveConsent:
    """The customer agrees to be contacted over ``channel`` for ``purpose`` (``confirmed``: the
    source already ran the double opt-in)."""

    customer_id: str
    channel: Channel
    purpose: Purpose
    source: str
    expires_on: date | None = None
    confirmed: bool = False


@dataclass(frozen=True)
class ConfirmConsent:
    """The customer confirmed his consent (double opt-in)."""

    customer_id: str
    channel: Channel
    purpose: Purpose


@dataclass(frozen=True)
class WithdrawConsent:
    customer_id: str
    channel: Channel
    purpose: Purpose
    source: str


@dataclass(frozen=True)
class SetContactPreferences:
    customer_id: str
    preferences: Preferences


@dataclass(frozen=True)
class ContactCustomer:
    """An outbound contact, checked against the contact rule and recorded, made or refused.
    ``occasion`` (of ``campaign``) is decided once."""

    customer_id: str
    contact_id: str
    channel: Channel
    purpose: Purpose
    message: str
    campaign: str | None = None
    occasion: str | None = None


@dataclass(frozen=True)
class RecordInboundContact:
    """The customer got in touch: a call, an e-mail, a chat, a visit."""

    customer_id: str
    contact_id: str
    channel: Channel
    note: str | None = None


@dataclass(frozen=True)
class RecordContactResult:
    """What became of an allowed contact: ``handed-over`` (to the mailing tool), ``delivered``,
    ``bounced`` (``reason``), ``opened``."""

    customer_id: str
    contact_id: str
    result: str
    reason: str | None = None


@dataclass(frozen=True)
class AcknowledgeContacts:
    """The mailing tool took these contacts, ``(customer id, contact id)``, from the outbox;
    those it acknowledged before are passed over."""

    contacts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EnrollInLoyalty:
    """The customer takes a loyalty card."""

    customer_id: str


@dataclass(frozen=True)
class RedeemPoints:
    customer_id: str
    points: int
    reward: str


@dataclass(frozen=True)
class ExpirePoints:
    """Let the customer's points past their expiry go (a daily job)."""

    customer_id: str


@dataclass(frozen=True)
class AnnounceRaffle:
    raffle_id: str
    prize: str
    prizes: int
    draw_on: date


@dataclass(frozen=True)
class DrawRaffle:
    raffle_id: str


Command = (
    RegisterCustomer | ChangeContactDetails | PlaceOrder | ShipOrder | DeliverOrder | CancelOrder
    | ReturnOrder | IssueInvoice | RequestDetailedInvoice | IssueCorrectedInvoice | ReceivePayment
    | GrantDeferral | OpenDispute | ResolveDispute | DunInvoice | HandToCollection | FileComplaint
    | AnswerComplaint | ResolveComplaint | IssueCreditNote | WriteOffInvoice | OffsetCredit
    | RevokeDeferral | ShortenDeferral | ErasePersonalData | GiveConsent | ConfirmConsent | WithdrawConsent
    | SetContactPreferences | ContactCustomer | RecordInboundContact | RecordContactResult | AcknowledgeContacts
    | EnrollInLoyalty | RedeemPoints | ExpirePoints | AnnounceRaffle | DrawRaffle
)
