"""FastAPI dependencies: the wired journey, the Idempotency-Key, the read position."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from pydantic import AwareDatetime

from adapters.schemas import ID_PATTERN
from services.bootstrap import Journey
from services.journey import IdempotencyKey


async def get_journey(request: Request) -> Journey:
    """The process's wired journey (async: no I/O, so no hop to the thread pool)."""
    return request.app.state.journey


async def get_idempotency_key(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1, max_length=255, pattern=ID_PATTERN,
            description="makes a retry answer the original result and store nothing (IETF httpapi "
            "Idempotency-Key); the same key with another request is 422",
        ),
    ] = None,
) -> IdempotencyKey | None:
    """The request's Idempotency-Key with a digest of what it asks: method, path and body (as
    canonical JSON when it is JSON). Keys are scoped to the caller (its department and name), so
    they are not part of the digest."""
    if idempotency_key is None:
        return None
    body = await request.body()
    try:
        content: object = json.loads(body) if body else None
    except ValueError:
        content = body.decode("utf-8", "replace")
    fingerprint = {"method": request.method, "path": request.url.path, "body": content}
    digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()
    return IdempotencyKey(idempotency_key, digest)


JourneyDep = Annotated[Journey, Depends(get_journey)]
IdempotencyDep = Annotated[IdempotencyKey | None, Depends(get_idempotency_key)]
MinPosition = Annotated[
    int | None,
    Query(ge=0, description="wait (bounded) until the view reflects at least this position"),
]

#: An identifier in a path: the same rule as identifiers in events.
AsOfPosition = Annotated[
    int | None,
    Query(ge=0, description="answer as the view stood when the stream ended at this position "
                            "(folded from the customer's events only)"),
]
AsOfTime = Annotated[
    AwareDatetime | None,
    Query(description="answer as the view stood at this time (RFC 3339 with offset): at the newest "
                      "position recorded at or before it"),
]

PathId = Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN)]
