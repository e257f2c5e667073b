"""The answers of marketing's and loyalty's worklists across customers: the campaign outcomes
and the card holders (the per-customer views: ``services.api.view_schemas``)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from domain.contact import Channel, Purpose
from services.api.view_schemas import ContactOut, ContactRefusalOut, ContactResultOut

Status = Literal["made", "refused", "handed-over", "delivered", "bounced", "opened", "cancelled"]


class OutcomesOut(BaseModel):
    """A campaign's contacts by what came of them (each status named, 0 when none)."""

    made: int = Field(description="made, not yet handed to the mailing tool")
    refused: int
    handed_over: int = Field(alias="handed-over")
    delivered: int
    bounced: int
    opened: int
    cancelled: int = Field(description="made, then cancelled before it was handed over (a withdrawal, an erasure)")


class CampaignOutcomeOut(BaseModel):
    campaign: str
    contacts: int = Field(description="contacts the campaign recorded, made or refused (proposals waiting for "
                                      "the customer's quiet hours or cap are not recorded yet)")
    outcomes: OutcomesOut
    reasons: dict[str, int] = Field(description="refused contacts per reason (a contact may name several)")


class CampaignsOut(BaseModel):
    position: int
    campaigns: list[CampaignOutcomeOut]


class CampaignContactOut(BaseModel):
    customer_id: str
    contact_id: str
    channel: Channel
    purpose: Purpose
    occasion: str | None
    message: str
    status: Status
    reasons: list[ContactRefusalOut]
    at: str = Field(description="when it was decided")
    position: int
    results: list[ContactResultOut]


class CampaignContactsOut(BaseModel):
    position: int
    campaign: str
    outcome: Status | None
    contacts_in_total: int = Field(description="the campaign's contacts, of every outcome")
    outcomes: OutcomesOut
    reasons: dict[str, int]
    contacts: list[CampaignContactOut]
    next_cursor: str | None


class CardHolderOut(BaseModel):
    customer_id: str
    customer: ContactOut | None
    balance: int
    tier: Literal["bronze", "silver", "gold"]
    discount_percent: int
    earned_last_365_days: int
    points_to_next_tier: int | None
    expiring_within_30_days: int


class CardHoldersOut(BaseModel):
    position: int
    as_of: date
    tier: Literal["bronze", "silver", "gold"] | None
    members: list[CardHolderOut] = Field(description="a page may hold fewer than asked when a tier is asked: "
                                                     "follow next_cursor until it is null")
    next_cursor: str | None
