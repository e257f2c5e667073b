"""Request and response bodies of the department endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.schemas import Amount, Currency, Id, InvoiceCorrection, Line, Text


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeferralCreate(Body):
    until: date
    reason: Text


class CorrectedInvoiceCreate(InvoiceCorrection):
    """The corrected invoice billing sends; the same fields and rule as ``invoice.corrected``."""


class DisputeCreate(Body):
    reason: Text


class DisputeResolution(Body):
    resolution: Text


class ComplaintAnswer(Body):
    text: Text


class ComplaintResolution(Body):
    note: Text


class PositionOut(BaseModel):
    position: int = Field(description="the stream position of the recorded touchpoint")


class DunningStepOut(PositionOut):
    level: int = Field(description="the dunning level reached (3 = final notice)")


class AcceptedOut(BaseModel):
    id: str
    source: str
    position: int
    duplicate: bool = Field(description="true when this event had been received before")


class IngestOut(BaseModel):
    position: int = Field(description="the highest position of the batch: a read there reflects all of it")
    positions: list[int]
    results: list[AcceptedOut]


# Department commands (billing, support, sales) ---------------------------------------------


class PaymentCreate(Body):
    """A payment billing received (at the counter, by bank transfer)."""

    amount: Amount
    currency: Currency


class CreditNoteCreate(Body):
    amount: Amount
    currency: Currency
    reason: Text


class WriteOffCreate(Body):
    reason: Text


class CreditOffsetCreate(Body):
    currency: Currency | None = Field(None, description="only this currency; all when absent")


class ComplaintCreate(Body):
    """A complaint support took (on the phone, by mail)."""

    customer_id: Id
    order_id: Id
    product_group: Id
    text: Text
    complaint_id: Id | None = Field(None, description="given by the caller, or made up when absent")


class DetailedInvoiceRequestCreate(Body):
    note: Text | None = None


class DeferralRevocation(Body):
    reason: Text


class DeferralShortening(Body):
    until: date = Field(description="the new last day of the promise: today or later, before the current one")
    reason: Text


class OrderCreate(Body):
    """An order sales took by phone."""

    customer_id: Id
    lines: list[Line] = Field(min_length=1, max_length=1000)
    currency: Currency
    order_id: Id | None = Field(None, description="given by the caller, or made up when absent")


class MoneyOut(BaseModel):
    amount: str = Field(description="written with the currency's exponent", examples=["50.00"])
    currency: str


class WriteOffOut(PositionOut):
    written_off: MoneyOut


class OffsetOut(MoneyOut):
    from_invoice: str
    to_invoice: str


class CreditOffsetOut(PositionOut):
    offsets: list[OffsetOut]


class ComplaintCreatedOut(PositionOut):
    complaint_id: str


class OrderCreatedOut(PositionOut):
    order_id: str


class LiveOut(BaseModel):
    status: Literal["live"]


class ProjectorOut(BaseModel):
    """The projector serving this process's views: in this process (with its state), an
    external worker (``{"mode": "external"}`` alone), or the Kafka-fed workers (``{"mode":
    "kafka", "topic": ...}``: the position is the lowest of the topic's partitions)."""

    mode: Literal["in-process", "external", "kafka"]
    topic: str | None = Field(None, description="the topic the Kafka-fed workers read (kafka only)")
    status: Literal["running", "backing-off", "stopped"] | None = Field(None, description="in-process only")
    last_error: str | None = None
    failures: int | None = Field(None, description="rounds failed in a row (in-process only)")
    last_success: datetime | None = None


class ReadyOut(BaseModel):
    status: Literal["ready"]
    head: int = Field(description="the stream's head position")
    position: int = Field(description="the position the views reflect")
    lag: int = Field(description="head minus position")
    projector: ProjectorOut
    error: None = None
