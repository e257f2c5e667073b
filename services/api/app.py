"""The FastAPI application. Nothing is built at import time: the lifespan wires the journey."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.api import auth, problems
from services.api.clock_header import ClockHeaderMiddleware
from services.api.limits import BodyLimitMiddleware
from services.api.routes import (
    audit,
    billing,
    complaints,
    events,
    health,
    invoices,
    lists,
    loyalty,
    marketing,
    privacy,
    reads,
    sales,
    security,
    support,
)
from services.bootstrap import Journey, bootstrap
from services.settings import Settings, get_settings

log = logging.getLogger("uvicorn.error")

#: Every router of the API, included without a prefix, in this order.
ROUTERS = tuple(
    module.router for module in (
        events, invoices, complaints, billing, support, sales, marketing, loyalty, reads, lists, security, audit,
        privacy, health,
    )
)


def create_app(settings: Settings | None = None, journey: Journey | None = None) -> FastAPI:
    """The API for ``settings`` (default: the environment); pass ``journey`` to reuse one."""
    settings = settings or (journey.settings if journey else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wired = journey or bootstrap(settings)
        if settings.project_in_process:
            wired.start_projecting()
        app.state.journey = wired
        if not any(key.active for key in wired.credentials.keys()):
            log.warning(
                "no API key exists yet: every request but /docs and /health is answered 401. Create the first "
                "with `journey keys create --role admin` (or --role billing, support, ..., auditor; an "
                "integrator key with --source SOURCE); it is printed once, on the last line."
            )
        try:
            yield
        finally:
            if journey is None:
                wired.close()

    app = FastAPI(
        title="customer-journey",
        version="0.1.0",
        summary="One shared, immutable history of every customer touchpoint.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, max_seconds=settings.request_body_seconds)
    app.add_middleware(ClockHeaderMiddleware)  # outermost: also marks the body limit's 413
    problems.install(app)
    auth.install(app, ROUTERS)
    for router in ROUTERS:
        app.include_router(router)
    return app
