"""Response bodies of the department views: billing, support, both at one position, the
journey, the dunning candidates. An invoice has one model (``InvoiceView``), as it has one
rendering (``projections.read_models.invoice_view``) wherever it is shown."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from domain.contact import Channel, Purpose
from domain.holds import HoldKind
from domain.invoice_facts import InvoiceStatus, NextStep

MoneyText = str  # an amount written with the currency's exponent: "50.00" EUR, "500" JPY


class ContactOut(BaseModel):
    customer_id: str
    name: str
    email: str
    phone: str | None
    address: str | None = Field(description="the postal address, lines separated by \\n")
    erased: bool | None = Field(
        None, description='true once the personal data was erased (name, email, phone and address read "[erased]"); '
        "absent otherwise"
    )

    @model_serializer(mode="wrap")
    def _erased_only_when_true(self, handler: SerializerFunctionWrapHandler):  # noqa: ANN202 -- keeps the schema
        shown = handler(self)
        if not shown.get("erased"):
            shown.pop("erased", None)
        return shown


class ActorOut(BaseModel):
    """Who acted: a department and a user, or an integrator's source and CloudEvent id."""

    department: str
    user: str | None
    source: str | None
    event_id: str | None


class HoldOut(BaseModel):
    kind: HoldKind
    cause: str = Field(description="what holds, in words")
    until: date | None = Field(description="the last day a payment deferral holds")
    ref: str | None = Field(description="the complaint's id or the promise's number; null for a request or a dispute")


class DunningRefusalOut(BaseModel):
    code: str
    detail: str


class InvoiceView(BaseModel):
    """One invoice as every department is shown it: the same words and values in every view."""

    invoice_id: str
    order_id: str
    customer_id: str
    currency: str
    amount: MoneyText
    paid: MoneyText
    credited: MoneyText
    written_off: MoneyText = Field(description="what billing wrote off (as recorded)")
    offset_in: MoneyText = Field(description="the customer's credit from other invoices that paid this one")
    offset_out: MoneyText = Field(description="this invoice's credit that paid other invoices")
    balance: MoneyText = Field(description="what is still owed; never negative")
    credit: MoneyText = Field(description="what the customer has in excess on this invoice")
    due_date: date
    status: InvoiceStatus
    dunning_level: int = Field(description="0 before the first letter; 3 is the final notice")
    last_dunning_on: date | None
    handed_to_collection: bool
    holds: list[HoldOut] = Field(description="every hold active today, with its cause")
    next_step: NextStep | None = Field(description="the step the hold rule allows today; null when none")
    may_dun: bool
    may_hand_to_collection: bool
    dunning_refusals: list[DunningRefusalOut] = Field(description="why the next dunning level is refused today")
    position: int = Field(description="the position of the invoice's last change")


class PromiseOut(BaseModel):
    """A payment deferral: who made it, until when, and whether it still holds."""

    invoice_id: str
    number: int = Field(description="the promise's number on its invoice, in the order granted")
    kind: Literal["payment-deferral"]
    until: date
    reason: str
    made_at: str | None
    made_by: ActorOut | None
    granted_by: str
    revoked_at: str | None
    revoked_because: str | None
    shortened_from: date | None
    active: bool = Field(description="holds dunning today")


class CustomerView(BaseModel):
    """The facts billing and support both show about a customer, equal in both."""

    position: int = Field(description="the stream position the view reflects (also X-Journey-Position)")
    as_of: date = Field(description="the day time-dependent facts (status, holds) are computed for")
    customer: ContactOut | None
    open_complaints: list[str]
    promises: list[PromiseOut]
    customer_credit: dict[str, MoneyText] = Field(description="per currency; absent when zero")
    invoices: list[InvoiceView]


class BillingView(CustomerView):
    open_balance: dict[str, MoneyText] = Field(description="what is owed, per currency")
    overdue: list[str]
    in_collection: list[str]


class ComplaintDoc(BaseModel):
    kind: Literal["complaint"]
    customer_id: str
    complaint_id: str
    order_id: str
    product_group: str
    text: str
    status: Literal["open", "answered", "resolved"]
    history: list[dict[str, Any]] = Field(description="filed, answered, resolved: each with who acted")
    position: int


class OrderDoc(BaseModel):
    kind: Literal["order"]
    customer_id: str
    order_id: str
    status: str
    product_groups: list[str]
    position: int


class DetailedRequestOut(BaseModel):
    invoice_id: str
    requested_at: str
    note: str | None
    requested_by: ActorOut | None = None
    answered_at: str | None


class SupportView(CustomerView):
    complaints_by_product_group: dict[str, list[ComplaintDoc]]
    open_detailed_invoice_requests: list[DetailedRequestOut]
    orders: list[OrderDoc]


class ConsentOut(BaseModel):
    channel: Channel
    purpose: Purpose
    source: str = Field(description="where the customer said so")
    given_at: str
    expires_on: date | None
    confirmed: bool = Field(description="false while a double opt-in awaits the customer's confirmation")


class WithdrawalOut(BaseModel):
    channel: Channel
    purpose: Purpose
    source: str
    at: str


class CapOut(BaseModel):
    limit: int
    days: int
    channel: Channel | None = Field(description="null: on all channels together")


class QuietHoursOut(BaseModel):
    start: str
    end: str
    timezone: str


class PreferencesOut(BaseModel):
    caps: list[CapOut]
    quiet_hours: QuietHoursOut | None
    preferred_channel: Channel | None


class DunningHoldOut(BaseModel):
    invoice_id: str
    level: int = Field(description="the invoice's dunning level; 4: handed to collection")


class ContactHoldsOut(BaseModel):
    """What the other departments' history holds against promotion (the policy decides which count)."""

    dunning: list[DunningHoldOut]
    disputes: list[str]
    complaints: list[str]


class ContactRefusalOut(BaseModel):
    code: str = Field(examples=["no-consent", "cap-reached", "quiet-hours", "hold:dunning"])
    detail: str


class ContactabilityOut(BaseModel):
    """The contact rule's answer now for one channel and purpose."""

    channel: Channel
    purpose: Purpose
    allowed: bool
    reasons: list[ContactRefusalOut]
    next_allowed: str | None = Field(description="when it is next allowed if nothing changes but time; null: only "
                                                 "when something else changes (a consent, a complaint resolved)")


class ContactResultOut(BaseModel):
    result: Literal["handed-over", "delivered", "bounced", "opened", "cancelled"]
    at: str
    position: int
    cause: str | None = Field(None, description="why a contact was cancelled: consent-withdrawn or erased")


class ContactOutcomeOut(BaseModel):
    """One contact: outbound (made or refused, then handed over, delivered, bounced, opened) or inbound."""

    contact_id: str
    direction: Literal["outbound", "inbound"]
    channel: Channel
    purpose: Purpose | None = None
    campaign: str | None = None
    occasion: str | None = None
    message: str | None = None
    department: str
    at: str
    position: int
    status: Literal["made", "refused", "inbound", "handed-over", "delivered", "bounced", "opened", "cancelled"]
    reasons: list[ContactRefusalOut] = Field(default_factory=list)
    results: list[ContactResultOut]


class MarketingView(BaseModel):
    position: int
    as_of: str = Field(description="the time the contact rule's answers are computed for")
    customer: ContactOut | None
    consents: list[ConsentOut]
    withdrawals: list[WithdrawalOut]
    preferences: PreferencesOut
    holds: ContactHoldsOut
    contactability: list[ContactabilityOut]
    contacts: list[ContactOutcomeOut]


class LotOut(BaseModel):
    invoice_id: str = Field(description="the invoice whose payment earned the points")
    earned: int
    remaining: int
    reversed: int = Field(description="taken back because the invoice was credited; they count for no tier")
    earned_on: date
    expires_on: date


class LoyaltyEntryOut(BaseModel):
    type: Literal["PointsEarned", "PointsReversed", "PointsRedeemed", "PointsExpired", "RaffleWon"]
    points: int
    at: str
    position: int
    invoice_id: str | None = None
    reward: str | None = None
    raffle_id: str | None = None
    prize: str | None = None


class LoyaltyView(BaseModel):
    """The customer's loyalty card on ``as_of``: points that may be redeemed, tier and discount."""

    position: int
    as_of: date
    enrolled: bool
    balance: int
    tier: Literal["bronze", "silver", "gold"] | None
    discount_percent: int
    earned_last_365_days: int
    points_to_next_tier: int | None = Field(description="null at the top tier or without a card")
    expiring_within_30_days: int
    lots: list[LotOut]
    history: list[LoyaltyEntryOut]


class ViewsOut(BaseModel):
    position: int
    billing: BillingView
    support: SupportView
    marketing: MarketingView
    loyalty: LoyaltyView


class ContactableOut(BaseModel):
    customer: ContactOut | None
    allowed: bool = Field(description="the contact rule allows a contact now")
    reasons: list[ContactRefusalOut]
    next_allowed: str | None = Field(description="when it is next allowed if nothing changes but time")
    preferred_channel: Channel | None


class ContactablesOut(BaseModel):
    position: int
    as_of: str
    channel: Channel
    purpose: Purpose
    customers: list[ContactableOut]
    next_cursor: str | None


class OutboxContactOut(BaseModel):
    customer_id: str
    contact_id: str
    channel: Channel
    purpose: Purpose
    campaign: str | None
    occasion: str | None
    message: str
    made_at: str
    position: int
    recipient: ContactOut | None = Field(description="whom to reach: the customer's contact data")


class OutboxOut(BaseModel):
    position: int
    contacts: list[OutboxContactOut]
    next_cursor: str | None


class TouchpointOut(BaseModel):
    position: int
    type: str = Field(examples=["Invoice.PaymentReceived"])
    aggregate: str
    department: str
    actor: ActorOut
    at: str = Field(description="when it happened (business time)")
    recorded_at: str = Field(description="when the journey recorded it")
    subject: dict[str, str] = Field(default_factory=dict, description="the ids it concerns")
    summary: str | None = Field(None, examples=["payment 50.00 EUR on INV-1001"])
    data: dict[str, Any]


class JourneyOut(BaseModel):
    position: int
    touchpoints: list[TouchpointOut]


class CandidateOut(InvoiceView):
    customer: ContactOut | None


class CandidatesOut(BaseModel):
    position: int
    as_of: date
    candidates: list[CandidateOut]
    next_cursor: str | None

