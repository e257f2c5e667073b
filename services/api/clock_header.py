"""Say on every answer when the service runs on a fixed business clock: that is for demos and
tests only, and a client must not mistake such answers for production ones."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.clock import FixedClock

HEADER = b"x-journey-clock"


def _fixed_time(scope: Scope) -> str | None:
    """``fixed <time>`` when the wired journey runs on a FixedClock (``JOURNEY_CLOCK``), else None."""
    state = getattr(scope.get("app"), "state", None)
    clock = getattr(getattr(state, "journey", None), "clock", None)
    return f"fixed {clock.now().isoformat()}" if isinstance(clock, FixedClock) else None


class ClockHeaderMiddleware:
    """A pure ASGI middleware adding ``X-Journey-Clock: fixed <time>`` to every response while
    the business clock is fixed; nothing when it is real time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_clock(message: Message) -> None:
            if message["type"] == "http.response.start":
                fixed = _fixed_time(scope)
                if fixed is not None:
                    message = {**message, "headers": [*message.get("headers", []), (HEADER, fixed.encode())]}
            await send(message)

        await self.app(scope, receive, send_with_clock)
