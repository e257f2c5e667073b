"""Authentication and authorisation of every route but the public ones.

A route declares what it needs with ``Annotated[Caller, allow(Permission.X, ...)]``. The
dependency authenticates the ``Authorization`` header (401 with ``WWW-Authenticate`` when it
cannot), applies the caller's rate limit (429 with ``Retry-After``), and checks the caller's role
grants every permission (403 naming the missing ones). Headers such as ``X-Department`` or
``X-User`` are never read: who acts comes from the credential alone.

``route_permissions(routers)`` lists each route's permissions: the OpenAPI document
(``x-permissions``, the 401/403/429 answers) and ``docs/security.md`` are generated from it.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.access import GRANTS, Permission, Role, missing
from services.api.deps import get_journey
from services.api.openapi import problem_responses
from services.api.problems import ProblemError
from services.bootstrap import Journey
from services.credentials import Caller, CredentialError
from services.rate_limits import retry_after

#: The realm named in WWW-Authenticate.
REALM = "customer-journey"
#: The security scheme's name in the OpenAPI document.
SCHEME = "bearer"


def _challenge(error: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer realm="{REALM}", error="{error}"'}


async def authenticate(request: Request, journey: Journey) -> Caller:
    """The caller, or a 401 problem (503 when the token keys cannot be fetched)."""
    header = request.headers.get("authorization")
    credentials = journey.credentials
    try:
        caller = credentials.cached(header)
        if caller is None:
            caller = await run_in_threadpool(credentials.authenticate, header)
    except CredentialError as error:
        if error.status == 401:
            raise ProblemError(401, error.code, error.detail, headers=_challenge(
                "invalid_request" if error.code == "missing-credentials" else "invalid_token"
            )) from None
        raise ProblemError(error.status, error.code, error.detail, headers={"Retry-After": "5"}) from None
    return caller


async def admit(request: Request, journey: Journey, permissions: Sequence[Permission]) -> Caller:
    """The caller, once authenticated, within its rate and granted every one of ``permissions``;
    else the 401, 429 or 403 problem."""
    caller = await authenticate(request, journey)
    wait = journey.rate_limits.take(caller.credential)
    if wait is not None:
        raise ProblemError(
            429, "rate-limited", f"{caller.label} sent more than {journey.rate_limits.rate:g} requests "
            f"a second (burst {journey.rate_limits.burst}); retry after Retry-After seconds",
            headers={"Retry-After": retry_after(wait)},
        )
    lacking = missing(caller.role, permissions)
    if lacking:
        names = [p.value for p in lacking]
        raise ProblemError(
            403, "forbidden", f"role {caller.role} lacks the permission {', '.join(names)}",
            missing_permissions=names, role=caller.role.value,
        )
    request.state.caller = caller
    return caller


def allow(*permissions: Permission) -> Any:
    """A dependency admitting callers whose role grants every one of ``permissions``."""

    async def authorized(request: Request, journey: Annotated[Journey, Depends(get_journey)]) -> Caller:
        return await admit(request, journey, permissions)

    authorized.permissions = permissions  # type: ignore[attr-defined]  # read by route_permissions
    return Depends(authorized)


def route_permissions(routers: Sequence[APIRouter]) -> dict[tuple[str, str], tuple[Permission, ...]]:
    """``(method, path) -> permissions`` for every protected route of ``routers`` (included
    in the app without a prefix)."""
    found: dict[tuple[str, str], tuple[Permission, ...]] = {}
    for route in (route for router in routers for route in router.routes):
        if not isinstance(route, APIRoute):
            continue
        needed = _permissions(route.dependant)
        if needed is not None:
            for method in sorted(route.methods or ()):
                found[(method, route.path)] = needed
    return found


def _permissions(dependant: Any) -> tuple[Permission, ...] | None:
    for sub in dependant.dependencies:
        permissions = getattr(sub.call, "permissions", None)
        if permissions is not None:
            return tuple(permissions)
        nested = _permissions(sub)
        if nested is not None:
            return nested
    return None


def allowed_roles(permissions: tuple[Permission, ...]) -> list[Role]:
    """The roles granted every one of ``permissions``."""
    return [role for role in Role if set(permissions) <= GRANTS[role]]


def install(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Document the protection of ``routers``' routes in ``app``'s OpenAPI document (once, when built)."""
    generate = app.openapi
    documented: list[bool] = []

    def openapi() -> dict[str, Any]:
        built = generate()
        if not documented:
            document(routers, built)
            documented.append(True)
        return built

    app.openapi = openapi  # type: ignore[method-assign]
    _admit_before_body_errors(app)


async def _answered(response: Any) -> Any:
    return await response if inspect.isawaitable(response) else response


def _admit_before_body_errors(app: FastAPI) -> None:
    """FastAPI reads a JSON body before it solves a route's dependencies, so a body it cannot
    parse would be answered 400 before the caller is known. Such a request meets the door first:
    401, 429 or 403 as any other, and only an admitted caller learns what is wrong with its body.
    (Install after ``problems.install``: this wraps its handlers.)"""
    refuse = app.exception_handlers[ProblemError]
    for kind in (RequestValidationError, StarletteHTTPException):
        answer = app.exception_handlers[kind]

        async def guarded(request: Request, error: Exception, answer: Any = answer) -> Any:
            route = request.scope.get("route")
            needed = _permissions(route.dependant) if isinstance(route, APIRoute) else None
            body_error = isinstance(error, RequestValidationError) or getattr(error, "status_code", None) == 400
            if needed is not None and body_error and getattr(request.state, "caller", None) is None:
                try:
                    await admit(request, await get_journey(request), needed)
                except ProblemError as refused:
                    return await _answered(refuse(request, refused))
            return await _answered(answer(request, error))

        app.add_exception_handler(kind, guarded)


def document(routers: Sequence[APIRouter], openapi: dict[str, Any]) -> None:
    """Add the bearer scheme and, on every protected operation, its permissions, the roles
    allowed and the 401/403/429 answers to the OpenAPI ``document``."""
    openapi.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http", "scheme": "bearer",
        "description": "an API key (`journey keys create`) or an OAuth2 access token (JWT) of the configured issuer",
    }
    answers = problem_responses("missing-credentials", "malformed-credentials", "invalid-credentials", "revoked-key",
                                "malformed-token", "expired-token", "token-not-yet-valid", "invalid-token-signature",
                                "wrong-issuer", "wrong-audience", "missing-role", "unknown-role",
                                "token-keys-unavailable",
                                "forbidden", "rate-limited")
    slow = {str(status): answer for status, answer in problem_responses("request-timeout").items()}
    for (method, path), permissions in route_permissions(routers).items():
        operation = openapi["paths"][path][method.lower()]
        operation["security"] = [{SCHEME: []}]
        operation["x-permissions"] = [p.value for p in permissions]
        operation["x-roles"] = [r.value for r in allowed_roles(permissions)]
        operation["description"] = (operation.get("description", "") + (
            f"\n\nNeeds: {', '.join(p.value for p in permissions)} "
            f"(roles: {', '.join(r.value for r in allowed_roles(permissions))})."
        )).strip()
        for status, answer in answers.items():
            _merge(operation.setdefault("responses", {}), str(status), answer)
        if method != "GET":
            operation["responses"].setdefault("408", slow["408"])


def _merge(responses: dict[str, Any], status: str, answer: dict[str, Any]) -> None:
    """Add ``answer`` for ``status``; where the route already answers that status, add its examples."""
    if status not in responses:
        responses[status] = answer
        return
    media = answer["content"]["application/problem+json"]
    known = responses[status].setdefault("content", {}).setdefault("application/problem+json", media)
    if known is not media:
        known.setdefault("examples", {}).update(media.get("examples", {}))
