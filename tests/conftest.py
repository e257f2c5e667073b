"""Shared fixtures: database URLs for SQLite and a real PostgreSQL server; a real Kafka broker."""

import os
import uuid

import pytest

from tests.support.kafka import kafka_broker
from tests.support.postgres import create_database, drop_database, postgres_server

#: The master key of every store the tests (and the processes they start) open: PostgreSQL
#: requires one; a fixed test key, not the development default.
os.environ.setdefault("JOURNEY_MASTER_KEY", "dGVzdC1tYXN0ZXIta2V5LW9mLXRoZS10ZXN0LXN1aXQ=")


@pytest.fixture(scope="session")
def postgres_base_url():
    """URL of one PostgreSQL server shared by the whole test session."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_base_url):
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(postgres_base_url, name)
    yield url
    drop_database(postgres_base_url, name)


@pytest.fixture
def sqlite_url(tmp_path):
    """URL of an SQLite database file in the test's temporary directory."""
    return f"sqlite:///{tmp_path}/journey.sqlite"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request):
    """URL of an empty event store, once per backend; PostgreSQL starts only when needed."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="session")
def kafka_bootstrap():
    """``host:port`` of one Kafka-protocol broker shared by the whole test session (started by
    the fixture when none is given); tests keep apart by topic and group names of their own."""
    with kafka_broker() as bootstrap:
        yield bootstrap
