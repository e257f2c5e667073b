"""Every operation of the OpenAPI document, fuzzed by schemathesis in-process: with the key of a
role allowed for it (the inputs reach validation and the domain), no answer is a 5xx, every
answer is one the document promises, and a refused request stores nothing; with the key of a
role not allowed, every answer is 403.

On the embedded SQLite store only: the run is the longest of the campaign, and what it checks
(validation, the answers' shapes, the refusal before any write) is the same code on PostgreSQL;
the CloudEvent and command properties, which check what is stored, run on both stores.

The schema is built from the app's own document at import (building the app does no I/O; its
store is wired by the lifespan): schemathesis' fixture-based loader does not run on this pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.access import Role
from services.api.app import create_app
from services.bootstrap import Journey, bootstrap
from services.clock import FixedClock
from services.settings import Settings
from tests.hostile.conftest import EXAMPLES, KNOWN, NOW, Tally, campaign_settings, hostile_settings, sent, tell_story
from tests.support.auth import KeyRing

#: The checks of every answer. Not run: positive_data_acceptance (a valid request for an
#: unknown invoice is rightly 404), the stateful and auth-probing checks (they send requests of
#: their own; test_access_control.py and test_credentials.py cover credentials).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]


def _schema() -> Any:
    document = create_app(Settings(database_url="sqlite:///unused.sqlite")).openapi()
    config = schemathesis.Config.from_dict({
        "seed": 20260302,
        # the Authorization header is ours to send: a generated or dropped one would stop the
        # request at the door instead of letting its inputs reach validation and the domain
        "generation": {"mode": "all", "with-security-parameters": False},
        "phases": {"coverage": {"enabled": False}},
    })
    return schemathesis.openapi.from_dict(document, config=config)


ALLOWED = _schema()
DENIED = _schema().exclude(path_regex="^/health/")


@dataclass
class Api:
    """The app on one store, the keys of every role, and the story's ids."""

    app: FastAPI
    journey: Journey
    keys: KeyRing
    seen: dict[str, int]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One SQLite store for the whole run, with the story told: fuzzed requests that name its
    ids reach the domain's rules."""
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi')}/journey.sqlite"
    journey = bootstrap(campaign_settings(url), FixedClock(NOW))
    app = create_app(journey=journey)
    keys = KeyRing(journey.credentials)
    with TestClient(app) as client:
        tell_story(client, keys.headers("integrator"), keys.headers("support"))
    yield Api(app, journey, keys, {})
    journey.close()


def roles_of(case: Any) -> list[str]:
    return list(case.operation.definition.raw.get("x-roles") or [])


def name_the_story(case: Any, seen: dict[str, int]) -> None:
    """Every other valid request with path parameters names the story's customer, order,
    invoice, complaint or promise instead of generated ones (which are rarely known)."""
    if not case.path_parameters or case.meta is None or case.meta.generation.mode.name != "POSITIVE":
        return
    seen[case.operation.label] = seen.get(case.operation.label, 0) + 1
    if seen[case.operation.label] % 2:
        case.path_parameters = {name: KNOWN.get(name, value) for name, value in case.path_parameters.items()}


@ALLOWED.parametrize()
@hostile_settings(EXAMPLES)
def test_an_allowed_role_never_meets_a_server_error_nor_a_broken_promise(case: Any, api: Api, tally: Tally) -> None:
    roles = roles_of(case)
    headers = api.keys.headers(roles[0]) if roles else {}
    name_the_story(case, api.seen)
    with tally.timed("openapi-allowed"):
        answer = sent(tally, "openapi-allowed", api.journey, lambda: case.call(headers=headers, app=api.app))
    if answer.status == 403:  # the role is allowed: only an event of a source the key is not bound to
        assert answer.response.json()["code"] == "source-not-bound", answer.response.text[:300]
    case.validate_response(answer.response, checks=CHECKS, headers=headers, transport_kwargs={"app": api.app})


@DENIED.parametrize()
@hostile_settings(max(2, EXAMPLES // 3))
def test_a_role_not_allowed_is_refused_403_whatever_it_sends(case: Any, api: Api, tally: Tally) -> None:
    allowed = roles_of(case)
    other = next(role for role in Role if role.value not in allowed)
    headers = api.keys.headers(other)
    with tally.timed("openapi-denied"):
        answer = sent(tally, "openapi-denied", api.journey, lambda: case.call(headers=headers, app=api.app))
    assert answer.status == 403, (case.operation.label, other, answer.response.text[:300])
    assert answer.response.json()["code"] == "forbidden"
    case.validate_response(answer.response, checks=CHECKS, headers=headers, transport_kwargs={"app": api.app})
