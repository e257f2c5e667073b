"""Liveness and readiness as an orchestrator sees them, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.bootstrap import Journey, bootstrap
from services.clock import FixedClock
from services.settings import Settings
from tests.e2e.conftest import cloudevent
from tests.integration.helpers import hide_table
from tests.support.auth import keyed
from tests.support.conformance import conforming

CE = {"Content-Type": "application/cloudevents+json"}


def customer(n: int) -> dict:
    return cloudevent("customer.registered", f"c{n}", {"name": "Ann", "email": "ann@example.org"}, f"r{n}")


def rename_tracking(journey: Journey, away: bool) -> None:
    """Take the views' tracking table away (or bring it back): the read store cannot be used."""
    hide_table(journey, "tracking", away)


def eventually_ready(client: TestClient, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while (response := client.get("/health/ready")).status_code != 200:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.05)
    return response.json()


@pytest.fixture
def external(database_url: str, clock: FixedClock) -> Iterator[tuple[TestClient, Journey]]:
    """The API with nobody projecting (as beside a `journey project` worker that is down)."""
    settings = Settings(database_url=database_url, project_in_process=False, ready_max_lag=2)
    journey = bootstrap(settings, clock)
    with conforming(keyed(create_app(journey=journey), journey.credentials)) as client:
        yield client, journey
    journey.close()


def test_live_answers_while_the_process_is_up(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "live"}
    assert client.get("/health").status_code == 404


def test_ready_names_the_head_the_position_and_the_projector(client: TestClient) -> None:
    position = client.post("/events", json=customer(1), headers=CE).json()["position"]
    client.get("/customers/c1/journey", params={"min_position": position})

    ready = client.get("/health/ready")

    assert ready.status_code == 200
    body = ready.json()
    assert (body["status"], body["head"], body["position"], body["lag"], body["error"]) == ("ready", position, position, 0, None)
    assert body["projector"]["mode"] == "in-process" and body["projector"]["status"] == "running"
    assert body["projector"]["failures"] == 0 and body["projector"]["last_success"] is not None


def test_not_ready_while_the_views_lag_more_than_allowed(external) -> None:  # noqa: ANN001
    client, journey = external
    for n in range(3):  # 3 positions, nobody projects them
        client.post("/events", json=customer(n), headers=CE)

    late = client.get("/health/ready")

    assert late.status_code == 503 and late.headers["content-type"] == "application/problem+json"
    body = late.json()
    assert (body["code"], body["head"], body["position"], body["lag"]) == ("not-ready", 3, 0, 3)
    assert body["projector"] == {"mode": "external"} and "lag" in body["error"]
    journey.projector.catch_up()
    assert client.get("/health/ready").json()["lag"] == 0


def test_not_ready_while_the_projector_backs_off_then_ready_again(client: TestClient) -> None:
    journey: Journey = client.app.state.journey  # type: ignore[attr-defined]
    store = journey.store
    table = store.docs.split(".")[-1].strip('"')  # type: ignore[attr-defined]
    with store.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_away"')
    client.post("/events", json=customer(1), headers=CE)

    deadline = time.monotonic() + 60
    while (failing := client.get("/health/ready")).status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.02)

    body = failing.json()
    assert body["code"] == "not-ready" and body["projector"]["status"] == "backing-off"
    assert body["projector"]["failures"] >= 1 and "documents" in body["error"]
    assert body["head"] > body["position"]
    with store.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
        cursor.execute(f'ALTER TABLE "{table}_away" RENAME TO "{table}"')
    assert eventually_ready(client)["projector"]["status"] == "running"


def test_not_ready_while_the_store_cannot_be_read(external) -> None:  # noqa: ANN001
    client, journey = external
    rename_tracking(journey, away=True)
    try:
        broken = client.get("/health/ready")
    finally:
        rename_tracking(journey, away=False)

    assert broken.status_code == 503
    body = broken.json()
    assert body["code"] == "not-ready" and "unreachable" in body["error"]
    assert (body["head"], body["position"], body["lag"]) == (None, None, None)
    assert client.get("/health/ready").status_code == 200


def test_ready_beside_an_external_projector_names_only_its_mode(external) -> None:  # noqa: ANN001
    client, _ = external
    body = client.get("/health/ready").json()
    assert body["projector"] == {"mode": "external"} and body["error"] is None
