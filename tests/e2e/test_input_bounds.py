"""Input the service cannot mean is a 4xx problem: event times far from the clock, JSON the
parser cannot represent. And a fixed business clock is announced on every answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.bootstrap import bootstrap
from services.settings import Settings
from tests.e2e.conftest import cloudevent
from tests.e2e.test_api_errors import BATCH, CE, CUSTOMER, assert_problem, head
from tests.support.auth import keyed
from tests.support.conformance import conforming

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # parsing, not storage

HUGE = "9" * 5000  # an integer Python's JSON parser refuses to convert (over 4300 digits)


def registered(id_: str, time: str | None) -> dict:
    return cloudevent("customer.registered", f"c-{id_}", {"name": "Ann", "email": "ann@example.org"}, id_, time)


# Event times ------------------------------------------------------------------------------------


def test_an_event_time_long_past_is_refused_naming_the_range_and_the_event(client: TestClient) -> None:
    # the clock reads 2026-03-02T09:00Z; the default range reaches back 3650 days
    batch = [registered("t1", "2026-03-01T10:00:00Z"), registered("t2", "2016-03-01T10:00:00Z")]

    body = assert_problem(client.post("/events", content=json.dumps(batch), headers=BATCH), 422, "time-out-of-range")

    assert body["index"] == 1
    [error] = body["errors"]
    assert error["location"] == [1, "time"]
    assert (error["earliest"], error["latest"]) == ("2016-03-04T09:00:00+00:00", "2026-03-02T09:05:00+00:00")
    assert "2016-03-04T09:00:00+00:00" in body["detail"]
    assert head(client) == 0


def test_an_event_time_ahead_of_the_clock_is_accepted_only_within_the_allowed_skew(client: TestClient) -> None:
    ahead = registered("t3", "2026-03-02T09:06:00Z")
    assert_problem(client.post("/events", json=ahead, headers=CE), 422, "time-out-of-range")

    within = client.post("/events", json=registered("t4", "2026-03-02T09:04:00Z"), headers=CE)
    assert within.status_code == 202, within.text
    untimed = client.post("/events", json=registered("t5", None), headers=CE)
    assert untimed.status_code == 202, untimed.text


@pytest.fixture
def strict_client(database_url: str) -> Iterator[TestClient]:
    """The API with narrow bounds from settings: one day back, no time ahead; the real clock."""
    settings = Settings(database_url=database_url, max_event_age_days=1, max_clock_skew_seconds=0)
    journey = bootstrap(settings)
    with conforming(keyed(create_app(journey=journey), journey.credentials)) as test_client:
        yield test_client
    journey.close()


def test_the_time_bounds_come_from_the_settings(strict_client: TestClient) -> None:
    now = datetime.now(UTC)
    last_year = now.replace(day=1, year=now.year - 1).isoformat()
    old = strict_client.post("/events", json=registered("t6", last_year), headers=CE)
    assert_problem(old, 422, "time-out-of-range")
    assert "X-Journey-Clock" not in old.headers  # the real clock is not announced
    assert strict_client.post("/events", json=registered("t7", now.isoformat()), headers=CE).status_code == 202


# JSON the parser cannot represent ----------------------------------------------------------------


def test_an_integer_of_thousands_of_digits_in_an_event_is_malformed_json(client: TestClient) -> None:
    structured = json.dumps(CUSTOMER)[:-1] + f', "n": {HUGE}}}'
    assert_problem(client.post("/events", content=structured, headers=CE), 400, "malformed-json")
    batch = f"[{json.dumps(CUSTOMER)}, {HUGE}]"
    assert_problem(client.post("/events", content=batch, headers=BATCH), 400, "malformed-json")
    binary = {"ce-specversion": "1.0", "ce-id": "b1", "ce-source": "shop", "ce-type": "customer.registered",
              "ce-subject": "c1", "Content-Type": "application/json"}
    data = f'{{"name": "Ann", "email": "ann@example.org", "age": {HUGE}}}'
    assert_problem(client.post("/events", content=data, headers=binary), 400, "malformed-json")
    assert head(client) == 0


@pytest.mark.parametrize("body", [
    f'{{"until": "2026-04-01", "reason": "promised", "extra": {HUGE}}}',
    f'{{"until": {HUGE}, "reason": "promised"}}',
    f'{{"until": "2026-04-01", "reason": "promised", "extra": [{HUGE}]}}',
])
def test_an_integer_of_thousands_of_digits_in_a_command_is_malformed_json(client: TestClient, body: str) -> None:
    response = client.post("/invoices/I9/deferrals", content=body,
                           headers={"X-Department": "support", "Content-Type": "application/json"})

    assert_problem(response, 400, "malformed-json")


# The fixed clock is announced -------------------------------------------------------------------


def test_every_answer_says_when_the_business_clock_is_fixed(client: TestClient) -> None:
    fixed = "fixed 2026-03-02T09:00:00+00:00"
    answers = [
        client.get("/health/live"),
        client.post("/events", json=CUSTOMER, headers=CE),
        client.post("/events", content=b"{not json", headers=CE),
        client.get("/customers/nobody/billing"),
        client.post("/events", content=b"x" * 300_000, headers=CE),  # refused by the body limit
    ]

    assert [a.headers.get("X-Journey-Clock") for a in answers] == [fixed] * len(answers)
    assert [a.status_code for a in answers] == [200, 202, 400, 404, 413]
