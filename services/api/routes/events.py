"""POST /events: integrators publish CloudEvents (structured, binary or batch)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from adapters import cloudevents
from adapters.schemas import EVENT_TYPES
from domain.access import Permission
from services.api import cloudevent_docs
from services.api.auth import allow
from services.api.deps import JourneyDep
from services.api.openapi import problem_responses
from services.api.problems import ProblemError
from services.api.schemas import AcceptedOut, IngestOut
from services.credentials import Caller

router = APIRouter(tags=["integrators"])

#: Bodies up to this size are parsed on the event loop; larger ones in the thread pool.
INLINE_PARSE_BYTES = 16 * 1024

_BODY_DOC = cloudevent_docs.request_body()


@router.post(
    "/events",
    status_code=202,
    response_model=IngestOut,
    openapi_extra={"requestBody": _BODY_DOC},
    responses=problem_responses(
        "malformed-json", "source-not-bound", "idempotency-conflict", "invalid-transition", "customer-exists", "payload-too-large",
        "unsupported-media-type", "invalid-cloudevent", "invalid-event-data", "invalid-batch", "unknown-event-type",
        "time-out-of-range", "unknown-order", (422, "unknown-customer"), (422, "unknown-invoice"), "currency-mismatch",
        "domain-rule", "write-contention", "write-timeout", "store-unavailable",
    ),
    summary="Publish one CloudEvent or a batch; idempotent on (source, id)",
    description="Types: " + ", ".join(sorted(EVENT_TYPES)) + ". See docs/events.md for each data schema.",
)
async def publish(
    request: Request, journey: JourneyDep, by: Annotated[Caller, allow(Permission.PUBLISH_EVENTS)]
) -> IngestOut:
    """Read the body, parse it in the thread pool (CPU-bound), then wait for the process's group
    writer without holding a thread: concurrent requests are stored in one transaction. Every
    event's source must be one the caller's key is bound to (else 403, nothing stored)."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if len(body) <= INLINE_PARSE_BYTES:  # a thread hop costs more than parsing one event
        submissions = cloudevents.read_request(content_type, request.headers, body)
    else:
        submissions = await run_in_threadpool(cloudevents.read_request, content_type, request.headers, body)
    for index, submission in enumerate(submissions):
        if submission.source not in by.sources:
            raise ProblemError(
                403, "source-not-bound", f"this key may publish for the sources {', '.join(sorted(by.sources)) or '(none)'}; "
                f"not for {submission.source}", index=index, source=submission.source, sources=sorted(by.sources),
            )
    settings = journey.settings
    cloudevents.check_times(
        submissions, journey.clock.now(),
        max_age=timedelta(days=settings.max_event_age_days),
        max_skew=timedelta(seconds=settings.max_clock_skew_seconds),
    )
    accepted = await journey.service.ingest_async(submissions, by.name)
    results = [
        AcceptedOut(id=s.event_id, source=s.source, position=a.position, duplicate=a.duplicate)
        for s, a in zip(submissions, accepted, strict=True)
    ]
    positions = [r.position for r in results]
    return IngestOut(position=max(positions), positions=positions, results=results)
