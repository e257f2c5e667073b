"""Request and response bodies of the department endpoints."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from adapters.schemas import InvoiceCorrection, Text


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
