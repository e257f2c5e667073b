"""The FastAPI application. Nothing is built at import time: the lifespan wires the journey."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.api import problems
from services.api.clock_header import ClockHeaderMiddleware
from services.api.limits import BodyLimitMiddleware
from services.api.routes import billing, complaints, events, health, invoices, lists, reads, sales, support
from services.bootstrap import Journey, bootstrap
from services.settings import Settings, get_settings


def create_app(settings: Settings | None = None, journey: Journey | None = None) -> FastAPI:
    """The API for ``settings`` (default: the environment); pass ``journey`` to reuse one."""
    settings = settings or (journey.settings if journey else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wired = journey or bootstrap(settings)
        if settings.project_in_process:
            wired.start_projecting()
        app.state.journey = wired
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
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ClockHeaderMiddleware)  # outermost: also marks the body limit's 413
    problems.install(app)
    for module in (events, invoices, complaints, billing, support, sales, reads, lists, health):
        app.include_router(module.router)
    return app
