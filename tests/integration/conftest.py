"""Fixtures of the integration tests: a business clock fixed at ``START`` and a journey over it
on each store (``database_url``); modules that need a journey with a history override it."""

from __future__ import annotations

import pytest

from services.clock import FixedClock
from tests.integration.helpers import START, open_journey


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def journey(database_url, clock):
    journey = open_journey(database_url, clock)
    yield journey
    journey.close()
