"""RFC 9457 problem details for every error, with field-level details where there are fields."""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import (
    DataError,
    InterfaceError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.cloudevents import CloudEventError
from domain.errors import (
    AlreadyExistsError,
    DomainError,
    DunningRefusedError,
    InvalidTransitionError,
    UnknownError,
)
from projections.encoding import jsonable
from services.api import openapi, validation
from services.api.limits import BodyTooLargeError, BodyTooSlowError
from services.cursors import InvalidCursorError
from services.journey import ConflictError, ContentionError, IdempotencyKeyReusedError, RejectedError
from services.reads import BeyondHeadError, NotCaughtUpError

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger(__name__)


class ProblemError(Exception):
    """Raised by the API itself (a missing header, an unknown resource in the path)."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        self.status, self.code, self.detail, self.headers, self.extra = status, code, detail, headers, extra
        super().__init__(detail)


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": f"/problems/{code}", "title": code.replace("-", " "), "status": status,
            "detail": detail, "code": code, **extra}
    return JSONResponse(jsonable(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def domain_status(error: DomainError, *, in_path: bool) -> int:
    """409 for a conflict with recorded state; 404 for an unknown resource named in the path,
    422 for an unknown one named in the body; 422 for any other broken rule."""
    if isinstance(error, UnknownError):
        return 404 if in_path else 422
    if isinstance(error, DunningRefusedError | InvalidTransitionError | AlreadyExistsError):
        return 409
    return 422


def domain_problem(error: DomainError, *, in_path: bool, **extra: Any) -> JSONResponse:
    if isinstance(error, DunningRefusedError):
        extra["refusals"] = [{"code": r.code, "detail": r.detail} for r in error.refusals]
        extra["holds"] = [r.hold for r in error.refusals if r.hold is not None]
    return problem(domain_status(error, in_path=in_path), error.code, str(error), **extra)


def install(app: FastAPI) -> None:
    """Answer every error as problem+json; no input leads to a 500 with a stack trace. The
    OpenAPI document describes these answers with one Problem schema."""
    openapi.install(app)

    @app.exception_handler(ProblemError)
    def _problem(_: Request, error: ProblemError) -> JSONResponse:
        return problem(error.status, error.code, error.detail, headers=error.headers, **error.extra)

    @app.exception_handler(CloudEventError)
    def _cloudevent(_: Request, error: CloudEventError) -> JSONResponse:
        return problem(error.status, error.code, error.detail, errors=error.errors, index=error.index)

    @app.exception_handler(RejectedError)
    def _rejected(_: Request, error: RejectedError) -> JSONResponse:
        return domain_problem(error.error, in_path=False, index=error.index)

    @app.exception_handler(DomainError)
    def _domain(_: Request, error: DomainError) -> JSONResponse:
        return domain_problem(error, in_path=True)

    @app.exception_handler(ConflictError)
    def _conflict(_: Request, error: ConflictError) -> JSONResponse:
        return problem(409, error.code, str(error), index=error.index)

    @app.exception_handler(InvalidCursorError)
    def _invalid_cursor(_: Request, error: InvalidCursorError) -> JSONResponse:
        return problem(422, "invalid-cursor", str(error))

    @app.exception_handler(IdempotencyKeyReusedError)
    def _key_reused(_: Request, error: IdempotencyKeyReusedError) -> JSONResponse:
        return problem(422, "idempotency-key-reused", str(error))

    @app.exception_handler(ContentionError)
    def _contention(_: Request, error: ContentionError) -> JSONResponse:
        return problem(503, "write-contention", str(error), headers={"Retry-After": "1"})

    @app.exception_handler(TimeoutError)
    def _write_timeout(_: Request, error: TimeoutError) -> JSONResponse:
        return problem(503, "write-timeout", "the write was not confirmed in time; retry with the same "
                       "CloudEvent id or Idempotency-Key, which stores it at most once",
                       headers={"Retry-After": "1"})

    @app.exception_handler(NotCaughtUpError)
    def _not_caught_up(_: Request, error: NotCaughtUpError) -> JSONResponse:
        return problem(503, "not-caught-up", str(error), headers={"Retry-After": "1"},
                       position=error.position, min_position=error.wanted)

    @app.exception_handler(BeyondHeadError)
    def _beyond_head(_: Request, error: BeyondHeadError) -> JSONResponse:
        return problem(422, "beyond-head", str(error), head=error.head, min_position=error.wanted)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        refusal = validation.explain(error.errors(), request.headers.get("content-type", ""))
        return problem(refusal.status, refusal.code, refusal.detail, errors=refusal.errors)

    @app.exception_handler(InterfaceError)
    @app.exception_handler(OperationalError)
    def _unavailable(_: Request, error: Exception) -> JSONResponse:
        log.warning("store unavailable: %s", error)
        return problem(503, "store-unavailable", "the store is busy or unreachable; retry",
                       headers={"Retry-After": "1"})

    @app.exception_handler(PersistenceError)
    def _store_error(_: Request, error: PersistenceError) -> JSONResponse:
        if isinstance(error, ProgrammingError | DataError):  # our fault, not the store's
            log.exception("store refused a statement")
            return problem(500, "internal-error", "an unexpected error occurred; it is logged")
        log.warning("store error: %s", error)
        return problem(503, "store-unavailable", "the store is busy or unreachable; retry",
                       headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    def _unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem(500, "internal-error", "an unexpected error occurred; it is logged")

    @app.exception_handler(StarletteHTTPException)
    def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        if isinstance(error.__cause__, BodyTooLargeError):  # a chunked body over the limit
            return problem(413, "payload-too-large", "the body exceeds the configured limit")
        if isinstance(error.__cause__, BodyTooSlowError):  # a body read by FastAPI, sent too slowly
            return problem(408, "request-timeout", "the body was not received in time")
        if error.status_code == 400 and isinstance(error.__cause__, ValueError | RecursionError):
            # JSON the parser cannot represent: an integer of thousands of digits, deep nesting
            return problem(400, "malformed-json", f"the body holds JSON that cannot be read: {error.__cause__}")
        code = {400: "malformed-body", 404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            error.status_code, "http-error"
        )
        return problem(error.status_code, code, str(error.detail), headers=getattr(error, "headers", None))
