"""An HTTP client for the API on a real store, with the business clock under the test's control."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from services.api.app import create_app
from services.bootstrap import bootstrap
from services.clock import FixedClock
from services.settings import Settings
from tests.support.auth import KeyedClient, keyed
from tests.support.conformance import conforming


@pytest.fixture
def clock() -> FixedClock:
    """The business clock, at 09:00 on 2 March 2026 until a test moves it."""
    return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def client(database_url: str, clock: FixedClock) -> Iterator[KeyedClient]:
    """The API, projecting in-process, on a fresh SQLite or PostgreSQL store. Every answer it
    receives is checked against the app's own OpenAPI document (a broken promise fails the test).
    Each request presents a real API key of the role it acts as (tests/support/auth.py)."""
    settings = Settings(database_url=database_url, max_body_bytes=256 * 1024, read_wait_seconds=5,
                        rate_limit_per_second=1000, rate_limit_burst=1000)
    journey = bootstrap(settings, clock)
    with conforming(keyed(create_app(journey=journey), journey.credentials)) as test_client:
        yield test_client
    journey.close()


def cloudevent(type_: str, subject: str, data: dict, id_: str, time: str | None = None) -> dict:
    event = {"specversion": "1.0", "id": id_, "source": "shop", "type": type_, "subject": subject, "data": data}
    if time:
        event["time"] = time
    return event
