"""What the OpenAPI document says about failures: one problem+json schema, documented per route.

Every route declares the problems it really answers with one line::

    @router.post(..., responses=problem_responses(*COMMAND, "unknown-invoice", "invalid-transition"))

Each argument is a problem ``code`` from :data:`CODES` (which brings its status, a description
and an example) or a bare HTTP status. The answers themselves are written by
``problems.problem()``; this module only describes them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from services.api import cloudevent_docs

MEDIA_TYPE = "application/problem+json"
SCHEMA = "Problem"


class FieldErrorOut(BaseModel):
    """One field-level error of a refused request."""

    model_config = ConfigDict(extra="allow")

    location: list[str | int] = Field(description="where: body/query/path/header, then the field path")
    message: str
    type: str = Field(description="machine-readable kind of error")
    hint: str | None = Field(None, description="how to fix it, in words")


class RefusalOut(BaseModel):
    """One reason a dunning step was refused."""

    model_config = ConfigDict(extra="allow")

    code: str
    detail: str


class ProblemOut(BaseModel):
    """An RFC 9457 problem: the body of every 4xx and 5xx answer."""

    model_config = ConfigDict(extra="allow", title=SCHEMA)

    type: str = Field(description="/problems/<code>")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="what went wrong and, where it is simple to say, how to fix the request")
    code: str = Field(description="stable machine-readable code; branch on this")
    errors: list[FieldErrorOut] | None = Field(None, description="field-level errors")
    index: int | None = Field(None, description="the event of a batch (0-based) the problem concerns")
    refusals: list[RefusalOut] | None = Field(None, description="every reason a dunning step was refused")
    holds: list[dict[str, Any]] | None = Field(None, description="the active holds behind the refusals")
    head: int | None = Field(None, description="the stream's head position")
    position: int | None = Field(None, description="the position the views reflect")
    min_position: int | None = Field(None, description="the position the request asked for")
    lag: int | None = Field(None, description="head minus position")


#: Why each status is answered, in general.
STATUSES: dict[int, str] = {
    400: "The request cannot be read: malformed JSON",
    401: "No valid credentials: send Authorization: Bearer <API key or token> (see WWW-Authenticate)",
    403: "The caller's role lacks a permission this route needs, or the CloudEvent source is not bound to its key",
    404: "A resource named in the path does not exist",
    408: "The body was not received in time",
    409: "The request conflicts with what is recorded",
    413: "The body exceeds the configured limit",
    415: "The body's media type is not one this route reads",
    422: "The request is well-formed but cannot be carried out",
    429: "Too many requests from this credential: retry after Retry-After seconds",
    503: "Not now: retry after Retry-After seconds",
}

#: Every problem code a route may document: status, an example detail, example extra members.
CODES: dict[str, tuple[int, str, dict[str, Any]]] = {
    "malformed-json": (400, "the body is not valid JSON: Expecting value at line 1 column 1", {}),
    "missing-credentials": (401, "send Authorization: Bearer <API key or token>", {}),
    "malformed-credentials": (401, "the Authorization header must read: Bearer <API key or token>", {}),
    "invalid-credentials": (401, "the API key is not valid", {}),
    "revoked-key": (401, "API key 3f2a9c0d1e4b5a67 was revoked", {}),
    "malformed-token": (401, "not a JWT (three base64url segments separated by dots)", {}),
    "expired-token": (401, "the token expired at 2026-03-10T10:00:00+00:00", {}),
    "token-not-yet-valid": (401, "the token is valid from 2026-03-10T10:00:00+00:00", {}),
    "invalid-token-signature": (401, "Signature verification failed", {}),
    "wrong-issuer": (401, "the token was issued by another issuer", {}),
    "wrong-audience": (401, "the token is for another audience", {}),
    "missing-role": (401, "the token has no 'role' claim", {}),
    "unknown-role": (401, "no known role in the 'role' claim", {}),
    "forbidden": (403, "role marketing lacks the permission dun", {
        "missing_permissions": ["dun"], "role": "marketing"}),
    "source-not-bound": (403, "this key may publish for the sources shop; not for payments", {
        "index": 0, "source": "payments", "sources": ["shop"]}),
    "rate-limited": (429, "integrator:shop sent more than 50 requests a second (burst 100); retry after Retry-After seconds", {}),
    "token-keys-unavailable": (503, "the issuer's keys cannot be fetched; retry", {}),
    "unknown-customer": (404, "customer C-404 is unknown", {}),
    "unknown-invoice": (404, "invoice INV-404 is unknown", {}),
    "unknown-complaint": (404, "complaint CMP-404 is unknown", {}),
    "unknown-decision": (404, "no decision '41' is known", {}),
    "conflicting-parameters": (422, "give as_of_position or as_of, not both", {}),
    "unknown-key": (404, "API key 3f2a9c0d1e4b5a67 is unknown", {}),
    "unknown-deferral": (404, "no deferral 'INV-1001/3' is known", {}),
    "nothing-to-offset": (409, "customer c1 has no credit that an open invoice could take", {}),
    "promise-of-another-department": (409, "deferral 1 of invoice INV-1001 was granted by support; only support may change it", {}),
    "complaint-exists": (409, "complaint 'CP-1' already exists", {}),
    "order-exists": (409, "order 'O-1001' already exists", {}),
    "contact-exists": (409, "contact 'K-1001' already exists", {}),
    "occasion-decided": (409, "the occasion 'birthday-2026' of birthday-offer was already decided", {}),
    "unknown-contact": (422, "no contact 'K-404' is known", {}),
    "loyalty-card-exists": (409, "loyalty-card 'c1' already exists", {}),
    "unknown-loyalty-card": (404, "no loyalty-card 'c1' is known", {}),
    "not-enough-points": (409, "500 points asked, 120 available", {}),
    "raffle-exists": (409, "raffle 'R-2026' already exists", {}),
    "unknown-raffle": (404, "no raffle 'R-404' is known", {}),
    "unknown-campaign": (404, "no campaign 'spring-sale' is known", {}),
    "raffle-drawn": (409, "raffle R-2026 was drawn", {}),
    "raffle-not-due": (409, "raffle R-2026 is drawn on 2026-04-01", {}),
    "too-many-decimals": (422, "EUR amounts have at most 2 decimals; 906.005 has more", {}),
    "idempotency-conflict": (409, "event r1 of source shop was received before with other content", {"index": 0}),
    "invalid-transition": (409, "complaint CMP-1 is resolved; cannot be answered", {}),
    "customer-exists": (409, "customer 'c1' already exists", {"index": 0}),
    "dunning-refused": (409, "dunning is on hold", {
        "refusals": [{"code": "hold:payment-deferral", "detail": "hold: payment-deferral (promised on the phone)"}],
        "holds": [{"kind": "payment-deferral", "cause": "promised on the phone", "until": "2026-04-01"}],
    }),
    "request-timeout": (408, "the body was not received within 30 s", {}),
    "payload-too-large": (413, "the body exceeds 262144 bytes", {}),
    "unsupported-media-type": (415, "send application/cloudevents+json, application/cloudevents-batch+json, "
                                    "or application/json with ce- headers (binary mode)", {}),
    "invalid-request": (422, "until: dates are written YYYY-MM-DD, e.g. 2026-04-01; reason is required", {"errors": [
        {"location": ["body", "until"], "message": "Input should be a valid date or datetime, input is too short",
         "type": "date_from_datetime_parsing", "hint": "until: dates are written YYYY-MM-DD, e.g. 2026-04-01"},
        {"location": ["body", "reason"], "message": "Field required", "type": "missing", "hint": "reason is required"},
    ]}),
    "invalid-cloudevent": (422, "the CloudEvent is invalid", {"index": 0, "errors": [
        {"location": ["subject"], "message": "Field required", "type": "missing"}]}),
    "invalid-event-data": (422, "the data of customer.registered is invalid", {"index": 0, "errors": [
        {"location": ["data", "email"], "message": "value is not a valid email address", "type": "value_error"}]}),
    "invalid-batch": (422, "a batch must be a non-empty JSON array of CloudEvents", {}),
    "unknown-event-type": (422, "customer.teleported is not an event type of this journey", {"index": 0}),
    "unknown-order": (422, "order O-404 is unknown", {"index": 0}),
    "time-out-of-range": (422, "the event's time lies outside the accepted range", {"index": 0}),
    "currency-mismatch": (422, "USD does not match EUR", {}),
    "domain-rule": (422, "a rule refused the request; the code names it (e.g. deferral-in-the-past, "
                         "too-many-decimals)", {}),
    "idempotency-key-reused": (422, "this Idempotency-Key was used with another request", {}),
    "beyond-head": (422, "position 100 is beyond the stream's head 41", {"head": 41, "min_position": 100}),
    "invalid-cursor": (422, "the cursor is not one a page of candidates answered", {}),
    "write-contention": (503, "the write kept colliding with other writers; retry", {}),
    "write-timeout": (503, "the write was not confirmed in time; retry with the same CloudEvent id or "
                           "Idempotency-Key, which stores it at most once", {}),
    "store-unavailable": (503, "the store is busy or unreachable; retry", {}),
    "not-caught-up": (503, "the views reflect position 40, not yet 41; retry", {"position": 40, "min_position": 41}),
    "not-ready": (503, "the views lag 3 positions behind the stream (at most 2)", {
        "head": 3, "position": 0, "lag": 3, "projector": {"mode": "external"},
        "error": "the views lag 3 positions behind the stream (at most 2)"}),
}

#: What every department command may answer, whatever its resource.
COMMAND = ("malformed-json", "payload-too-large", "invalid-request",
           "domain-rule", "idempotency-key-reused", "write-contention", "write-timeout", "store-unavailable")
#: What every read at a position may answer.
READ = ("invalid-request", "beyond-head", "not-caught-up", "store-unavailable")


def example(code: str, status: int | None = None) -> dict[str, Any]:
    """The problem body answered for ``code`` (at ``status``, default its own), as
    ``problems.problem()`` writes it."""
    usual, detail, extra = CODES[code]
    status = status or usual
    return {"type": f"/problems/{code}", "title": code.replace("-", " "), "status": status,
            "detail": detail, "code": code, **extra}


Answer = int | str | tuple[int, str]


def problem_responses(*answers: Answer) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route for the problems it answers: for each status, a description
    naming the codes, the Problem schema under application/problem+json, one example per code.
    Each answer is a code of :data:`CODES`, a ``(status, code)`` pair where the route answers
    that code with another status (an unknown invoice named in a body is 422, not 404), or a
    bare status (documented without a named code)."""
    codes: dict[int, list[str]] = {}
    for answer in answers:
        status, code = _status_and_code(answer)
        named = codes.setdefault(status, [])
        if code is not None and code not in named:
            named.append(code)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, named in sorted(codes.items()):
        content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{SCHEMA}"}}
        if named:
            content["examples"] = {code: {"summary": code, "value": example(code, status)} for code in named}
        description = STATUSES[status] + (f" ({', '.join(named)})" if named else "")
        responses[status] = {"description": description, "content": {MEDIA_TYPE: content}}
    return responses


def _status_and_code(answer: Answer) -> tuple[int, str | None]:
    if isinstance(answer, tuple):
        status, code = answer
    elif isinstance(answer, str):
        status, code = CODES[answer][0] if answer in CODES else 0, answer
    else:
        status, code = answer, None
    if code is not None and code not in CODES:
        raise ValueError(f"unknown problem code {code!r}: add it to CODES")
    if status not in STATUSES:
        raise ValueError(f"no description of status {status}: add it to STATUSES")
    return status, code


def install(app: FastAPI) -> None:
    """Register the Problem schema and the CloudEvent schemas (``cloudevent_docs``) once as
    components of ``app``'s OpenAPI document, and drop
    FastAPI's own validation error shapes, which this API never answers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            problem = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(problem.pop("$defs", {}))
            schemas[SCHEMA] = problem
            schemas.update(cloudevent_docs.components())
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
        return app.openapi_schema  # type: ignore[return-value]  # set by generate()

    app.openapi = openapi  # type: ignore[method-assign]
