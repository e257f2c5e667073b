"""Department reads. Each answer carries the position it reflects (body and X-Journey-Position);
``?min_position=N`` waits, bounded, until the views have caught up, else 503 with Retry-After."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from services.api.deps import JourneyDep, MinPosition, PathId

router = APIRouter(tags=["departments"])


def _positioned(response: Response, body: dict[str, Any]) -> dict[str, Any]:
    response.headers["X-Journey-Position"] = str(body["position"])
    return body


@router.get("/customers/{customer_id}/journey", summary="Every touchpoint of a customer, in stream order")
def journey_of(customer_id: PathId, journey: JourneyDep, response: Response, min_position: MinPosition = None) -> dict[str, Any]:
    return _positioned(response, journey.reads.journey(customer_id, min_position))


@router.get("/customers/{customer_id}/billing", summary="Billing's view: invoices, balance, dunning, holds")
def billing_of(customer_id: PathId, journey: JourneyDep, response: Response, min_position: MinPosition = None) -> dict[str, Any]:
    return _positioned(response, journey.reads.billing(customer_id, min_position))


@router.get("/customers/{customer_id}/support", summary="Support's view: complaints, promises, requests")
def support_of(customer_id: PathId, journey: JourneyDep, response: Response, min_position: MinPosition = None) -> dict[str, Any]:
    return _positioned(response, journey.reads.support(customer_id, min_position))


@router.get("/customers/{customer_id}/views", summary="Billing and support at one and the same position")
def views_of(customer_id: PathId, journey: JourneyDep, response: Response, min_position: MinPosition = None) -> dict[str, Any]:
    return _positioned(response, journey.reads.views(customer_id, min_position))


@router.get("/dunning/candidates", summary="Overdue invoices that may be dunned now")
def dunning_candidates(journey: JourneyDep, response: Response, min_position: MinPosition = None) -> dict[str, Any]:
    return _positioned(response, journey.reads.dunning_candidates(min_position))


@router.get("/health", tags=["operations"], summary="Stream head, view position and projector state")
def health(journey: JourneyDep) -> dict[str, Any]:
    thread = journey.thread
    error = None if thread is None or thread.error is None else repr(thread.error)
    return {
        "status": "degraded" if error else "ok",
        "head": journey.service.head(),
        "position": journey.reads.position(),
        "projector": "in-process" if thread else "external",
        "projector_error": error,
    }
