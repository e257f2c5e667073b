"""Contact rights and contacts: consents, preferences, outbound contacts checked by the contact
rule, inbound contacts; marketing's view of a customer; the outbox a mailing tool reads.

The consent and preference bodies are the integrators' CloudEvents data (``consent.given``,
``contact.preferences_set``, ...): one schema, one command, one rule, whoever records them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from adapters.schemas import (
    ConsentConfirmed,
    ConsentGiven,
    ConsentWithdrawn,
    ContactPreferencesSet,
    Id,
    InboundContact,
    Label,
)
from domain import commands as c
from domain.access import Permission as P
from domain.contact import Channel, Purpose
from domain.contact_book import AlreadyAcknowledgedError
from projections import lists as list_names
from services.api.auth import allow
from services.api.deps import AsOfPosition, AsOfTime, IdempotencyDep, JourneyDep, MinPosition, PathId
from services.api.openapi import COMMAND, READ, problem_responses
from services.api.routes.commands import carry_out
from services.api.routes.lists import PAGED, Cursor, Limit, check_cursor, get_lists, read_waiting
from services.api.routes.reads import point_in_time, read_logged, view_name
from services.api.schemas import Body, PositionOut
from services.api.view_schemas import ContactablesOut, ContactRefusalOut, MarketingView, OutboxOut
from services.api.worklist_schemas import CampaignContactsOut, CampaignsOut, Status
from services.credentials import Caller

router = APIRouter(tags=["marketing"])

ON_CUSTOMER_CODES = (*COMMAND, "unknown-customer", "invalid-transition")
ON_CUSTOMER = problem_responses(*ON_CUSTOMER_CODES)


class ContactCreate(Body):
    """An outbound contact a department wants to make; the contact rule decides."""

    channel: Channel
    purpose: Purpose
    message: Label = Field(description="what is sent: the mailing tool's message or template name")
    campaign: Label | None = None
    occasion: Label | None = Field(None, description="decided once per campaign: a second contact for it is refused (409)")
    contact_id: Id | None = Field(None, description="given by the caller, or made up when absent")


class ContactDecidedOut(PositionOut):
    contact_id: str
    allowed: bool = Field(description="true: made (in the outbox); false: refused and recorded with its reasons")
    reasons: list[ContactRefusalOut]


class Acknowledged(Body):
    customer_id: Id
    contact_id: Id


class AcknowledgementCreate(Body):
    contacts: list[Acknowledged] = Field(min_length=1, max_length=1000)


class AcknowledgedOut(PositionOut):
    acknowledged: list[str] = Field(description="the contacts handed over now; those acknowledged before are left out")


async def _record(journey: Any, command: c.Command, by: Caller, idempotency: Any, response: Response) -> PositionOut:
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post("/customers/{customer_id}/consents", status_code=201, response_model=PositionOut,
             summary="Record the customer's consent to a channel and purpose", responses=ON_CUSTOMER)
async def give_consent(
    customer_id: PathId, body: ConsentGiven, journey: JourneyDep, by: Annotated[Caller, allow(P.RECORD_CONSENTS)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    return await _record(journey, body.command(customer_id), by, idempotency, response)


@router.post("/customers/{customer_id}/consents/confirmation", status_code=201, response_model=PositionOut,
             summary="Record that the customer confirmed his consent (double opt-in)", responses=ON_CUSTOMER)
async def confirm_consent(
    customer_id: PathId, body: ConsentConfirmed, journey: JourneyDep, by: Annotated[Caller, allow(P.RECORD_CONSENTS)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    return await _record(journey, body.command(customer_id), by, idempotency, response)


@router.post("/customers/{customer_id}/consents/withdrawal", status_code=201, response_model=PositionOut,
             summary="Record that the customer withdrew a consent", responses=ON_CUSTOMER)
async def withdraw_consent(
    customer_id: PathId, body: ConsentWithdrawn, journey: JourneyDep, by: Annotated[Caller, allow(P.RECORD_CONSENTS)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    return await _record(journey, body.command(customer_id), by, idempotency, response)


@router.put("/customers/{customer_id}/contact-preferences", status_code=201, response_model=PositionOut,
            summary="Record how the customer wants to be contacted: caps, quiet hours, preferred channel",
            responses=ON_CUSTOMER)
async def set_preferences(
    customer_id: PathId, body: ContactPreferencesSet, journey: JourneyDep, by: Annotated[Caller, allow(P.RECORD_CONSENTS)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    return await _record(journey, body.command(customer_id), by, idempotency, response)


@router.post("/customers/{customer_id}/inbound-contacts", status_code=201, response_model=PositionOut,
             summary="Record that the customer got in touch", responses=problem_responses(*ON_CUSTOMER_CODES, "contact-exists"))
async def record_inbound(
    customer_id: PathId, body: InboundContact, journey: JourneyDep, by: Annotated[Caller, allow(P.CONTACT_CUSTOMERS)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    return await _record(journey, body.command(customer_id), by, idempotency, response)


@router.post("/customers/{customer_id}/contacts", status_code=201, response_model=ContactDecidedOut,
             summary="Contact the customer: checked by the contact rule, recorded as made or refused",
             responses=problem_responses(*ON_CUSTOMER_CODES, "contact-exists", "occasion-decided"))
async def contact_customer(
    customer_id: PathId, body: ContactCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.CONTACT_CUSTOMERS)],
    idempotency: IdempotencyDep, response: Response,
) -> ContactDecidedOut:
    contact_id = body.contact_id or f"K-{uuid.uuid4().hex[:12].upper()}"
    command = c.ContactCustomer(customer_id, contact_id, body.channel, body.purpose, body.message, body.campaign,
                                body.occasion)
    written = await carry_out(journey, command, by, idempotency, response)
    answer = written.answer
    return ContactDecidedOut(position=written.position, contact_id=answer["contact_id"], allowed=answer["allowed"],
                      reasons=[ContactRefusalOut(**r) for r in answer["reasons"]])


@router.get("/customers/{customer_id}/marketing", response_model=MarketingView,
            summary="Marketing's view: consents, preferences, holds, what may be sent now, every contact",
            responses=problem_responses(*READ, "unknown-customer", "conflicting-parameters"))
async def marketing_of(
    customer_id: PathId, journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_MARKETING)],
    min_position: MinPosition = None, as_of_position: AsOfPosition = None, as_of: AsOfTime = None,
) -> dict[str, Any]:
    point = await point_in_time(journey, as_of_position, as_of)
    await journey.reads.caught_up(min_position)
    return await read_logged(journey, by, view_name("marketing", point), response, journey.reads.marketing,
                             customer_id, as_of=point)


@router.get("/outbox", response_model=OutboxOut, responses=PAGED,
            summary="Contacts made and not yet handed to the mailing tool, oldest first, a page at a time")
async def outbox(
    journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_OUTBOX)],
    min_position: MinPosition = None, channel: Annotated[Channel | None, Query()] = None,
    limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    check_cursor(list_names.OUTBOX, cursor)
    lists = await get_lists(journey)
    return await read_waiting(journey, by, "outbox", response, min_position, lists.outbox,
                       None if channel is None else str(channel), limit=limit, cursor=cursor)


@router.get("/worklists/contactable", response_model=ContactablesOut, responses=PAGED,
            summary="The customers consented to a purpose by a channel, and whether the rule allows a contact now")
async def contactable(
    journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_MARKETING)],
    channel: Annotated[Channel, Query()], purpose: Annotated[Purpose, Query()],
    only_allowed: Annotated[bool, Query(description="only those the contact rule allows now")] = False,
    min_position: MinPosition = None, limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    check_cursor(list_names.CONSENTED, cursor)
    lists = await get_lists(journey)
    return await read_waiting(journey, by, "contactable", response, min_position, lists.contactable, channel, purpose,
                              only_allowed=only_allowed, limit=limit, cursor=cursor)


@router.get("/worklists/campaigns", response_model=CampaignsOut, responses=problem_responses(*READ),
            summary="Every campaign's outcomes: its contacts by what came of them, and its refusals' reasons")
async def campaigns(
    journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_MARKETING)],
    min_position: MinPosition = None,
) -> dict[str, Any]:
    lists = await get_lists(journey)
    return await read_waiting(journey, by, "campaigns", response, min_position, lists.campaigns)


@router.get("/worklists/campaigns/{campaign}", response_model=CampaignContactsOut,
            responses=problem_responses(*READ, "invalid-cursor", (404, "unknown-campaign")),
            summary="One campaign's contacts in the order decided, of one outcome when asked, with its outcomes")
async def campaign_contacts(  # noqa: PLR0913 -- the campaign, the filter, the page and the caller
    campaign: Annotated[Label, Path()], journey: JourneyDep, response: Response,
    by: Annotated[Caller, allow(P.READ_MARKETING)], outcome: Annotated[Status | None, Query()] = None,
    min_position: MinPosition = None, limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    check_cursor(list_names.CAMPAIGN_CONTACTS, cursor)
    lists = await get_lists(journey)
    return await read_waiting(journey, by, "campaign", response, min_position, lists.campaign, campaign, outcome,
                              limit=limit, cursor=cursor)


@router.post("/outbox/acknowledgements", status_code=201, response_model=AcknowledgedOut,
             summary="Acknowledge contacts taken from the outbox (again: passed over)",
             responses={200: {"model": AcknowledgedOut, "description": "every contact named was acknowledged before: "
                                                                        "nothing new is recorded"},
                        **problem_responses(*COMMAND, (422, "unknown-contact"))})
async def acknowledge(
    body: AcknowledgementCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.ACKNOWLEDGE_OUTBOX)],
    idempotency: IdempotencyDep, response: Response,
) -> AcknowledgedOut:
    command = c.AcknowledgeContacts(tuple((a.customer_id, a.contact_id) for a in body.contacts))
    try:
        written = await carry_out(journey, command, by, idempotency, response, names_in_body=True)
    except AlreadyAcknowledgedError:
        response.status_code = 200  # nothing new: the stream's head reflects the earlier acknowledgements
        return AcknowledgedOut(position=await run_in_threadpool(journey.service.head), acknowledged=[])
    return AcknowledgedOut(position=written.position, acknowledged=written.answer["acknowledged"])
