"""The OpenAPI of POST /events names a schema per CloudEvent type, built from the same models
that validate the input, with an example per type that the endpoint's own code accepts."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from adapters.cloudevents import STRUCTURED, to_submission
from adapters.schemas import EVENT_TYPES
from services.api.app import create_app
from services.api.cloudevent_docs import example
from services.settings import Settings
from tests.support.conformance import DOCUMENT, Conformance, _escape


@pytest.fixture(scope="module")
def documented() -> Conformance:
    return Conformance(create_app(Settings(database_url="sqlite:///unused.sqlite")))


def validator(documented: Conformance, pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": DOCUMENT + pointer}, registry=documented.registry)


STRUCTURED_SCHEMA = f"#/paths/~1events/post/requestBody/content/{_escape(STRUCTURED)}/schema"


def test_every_event_type_has_its_schema_and_an_example(documented: Conformance) -> None:
    body = documented.document["paths"]["/events"]["post"]["requestBody"]["content"][STRUCTURED]
    mapping = documented.document["components"]["schemas"]["CloudEvent"]["discriminator"]["mapping"]

    assert set(body["examples"]) == set(mapping) == set(EVENT_TYPES)
    for name, entry in body["examples"].items():
        assert not list(validator(documented, STRUCTURED_SCHEMA).iter_errors(entry["value"])), name
        assert not list(validator(documented, mapping[name].removeprefix(DOCUMENT)).iter_errors(entry["value"])), name


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_each_example_is_accepted_by_the_endpoints_own_validation(name: str) -> None:
    submission = to_submission(example(name))

    assert (submission.type, submission.source, submission.event_id) == (name, "shop", f"shop-{name}-1")
    assert submission.command is not None


def test_the_documented_schema_refuses_what_the_endpoint_refuses(documented: Conformance) -> None:
    wrong = example("payment.received")
    wrong["data"] = {"invoice_id": "INV-1001", "amount": "213.90"}  # no currency
    other_type = {**example("payment.received"), "data": example("order.shipped")["data"]}

    for event in (wrong, other_type):
        assert list(validator(documented, STRUCTURED_SCHEMA).iter_errors(event))
