"""Carrying out a department command over HTTP: through the group writer, honouring an
Idempotency-Key (a retry answers the original result and says so in ``Idempotent-Replayed``)."""

from __future__ import annotations

from fastapi import Response

from domain.commands import Command
from domain.values import Principal
from services.bootstrap import Journey
from services.journey import IdempotencyKey, Written


async def carry_out(
    journey: Journey, command: Command, by: Principal, idempotency: IdempotencyKey | None, response: Response
) -> Written:
    written = await journey.service.execute_async(command, by, idempotency)
    if written.duplicate:
        response.headers["Idempotent-Replayed"] = "true"
    return written
