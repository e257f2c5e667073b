"""Carrying out a department command over HTTP: through the group writer, honouring an
Idempotency-Key (a retry answers the original result and says so in ``Idempotent-Replayed``)."""

from __future__ import annotations

from fastapi import Response

from domain.commands import Command
from domain.errors import UnknownError
from services.api.problems import ProblemError
from services.bootstrap import Journey
from services.credentials import Caller
from services.journey import IdempotencyKey, Written


async def carry_out(
    journey: Journey, command: Command, by: Caller, idempotency: IdempotencyKey | None, response: Response,
    *, names_in_body: bool = False,
) -> Written:
    """``names_in_body``: the command names what it acts on in the body, not in the path, so an
    unknown one is 422 (the request is wrong), not 404 (no such resource at this URL)."""
    try:
        written = await journey.service.execute_async(command, by.principal, idempotency)
    except UnknownError as error:
        if names_in_body:
            raise ProblemError(422, error.code, str(error)) from None
        raise
    if written.duplicate:
        response.headers["Idempotent-Replayed"] = "true"
    return written
