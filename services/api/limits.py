"""Refuse request bodies over the configured size, or sent too slowly, before any of it is
parsed or stored."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLargeError(Exception):
    pass


class BodyTooSlowError(Exception):
    pass


class BodyLimitMiddleware:
    """A pure ASGI middleware: 413 problem+json when Content-Length, or the bytes actually
    received, exceed ``max_bytes``; 408 when the body is not received within ``max_seconds``
    of the request's start (a slow client holds this coroutine that long, never a thread)."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_seconds: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        received = 0
        started = False
        deadline = time.monotonic() + self.max_seconds
        body_done = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # after the body only the disconnect remains: wait as long as it takes
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0.001))
            except TimeoutError:
                raise BodyTooSlowError from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await self._too_large(send)
        except BodyTooSlowError:
            if not started:
                await self._refuse(send, 408, "request-timeout", f"the body was not received within {self.max_seconds:g} s")

    async def _too_large(self, send: Send) -> None:
        await self._refuse(send, 413, "payload-too-large", f"the body exceeds {self.max_bytes} bytes")

    async def _refuse(self, send: Send, status: int, code: str, detail: str) -> None:
        body: dict[str, Any] = {
            "type": f"/problems/{code}", "title": code.replace("-", " "), "status": status,
            "detail": detail, "code": code,
        }
        payload = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/problem+json"), (b"content-length", str(len(payload)).encode()),
        ]})
        await send({"type": "http.response.body", "body": payload})
