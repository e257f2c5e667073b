"""The OpenAPI document tells the truth: every failure as problem+json, required headers as
required, and a conformance check (run on every answer of the e2e client) that can fail."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

from services.api import openapi
from services.api.app import create_app
from services.api.openapi import problem_responses
from services.settings import Settings
from tests.support.conformance import Conformance, OpenAPIConformanceError, conforming

PROBLEM = {"$ref": "#/components/schemas/Problem"}
#: Routes that cannot fail in any way a client could cause or retry.
NEVER_FAILING = {("get", "/health/live")}


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(database_url="sqlite:///unused.sqlite"))  # the lifespan never runs


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict:
    return app.openapi()


def operations(document: dict):  # noqa: ANN201
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_every_failure_is_documented_as_problem_json_never_in_fastapis_shape(document: dict) -> None:
    assert "HTTPValidationError" not in json.dumps(document)
    assert {"type", "title", "status", "detail", "code"} <= set(document["components"]["schemas"]["Problem"]["required"])
    for method, path, operation in operations(document):
        failures = {status: r for status, r in operation["responses"].items() if int(status) >= 400}
        assert failures or (method, path) in NEVER_FAILING, f"{method} {path} documents no failure"
        for status, response in failures.items():
            assert set(response["content"]) == {"application/problem+json"}, f"{method} {path} {status}"
            assert response["content"]["application/problem+json"]["schema"] == PROBLEM


def test_every_route_documents_the_statuses_its_inputs_can_cause(document: dict) -> None:
    for method, path, operation in operations(document):
        documented = set(operation["responses"])
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        where = f"{method.upper()} {path}"
        if any(p["in"] == "path" for p in parameters.values()):
            assert "404" in documented, where
        if parameters or "requestBody" in operation:
            assert "422" in documented, where
        if method == "post":
            assert {"413", "503"} <= documented, where
        if operation.get("security"):
            assert {"401", "403", "429"} <= documented, where
            assert operation["x-permissions"] and operation["x-roles"], where


def test_every_documented_problem_example_matches_the_problem_schema(app: FastAPI, document: dict) -> None:
    checker = Conformance(app)
    seen = 0
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            for example in response.get("content", {}).get("application/problem+json", {}).get("examples", {}).values():
                assert example["value"]["status"] == int(status), f"{method} {path} {status}"
                checker.check_route(method.upper(), path, int(status), "application/problem+json",
                                    json.dumps(example["value"]).encode())
                seen += 1
    assert seen > 50


def test_the_helper_refuses_a_problem_code_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="no-such-problem"):
        problem_responses(404, "no-such-problem")


class Thing(BaseModel):
    position: int


def test_the_conformance_check_fails_an_undocumented_status_and_a_body_that_breaks_its_schema() -> None:
    toy = FastAPI()
    openapi.install(toy)

    @toy.get("/things/{thing_id}", response_model=Thing, responses=problem_responses("unknown-invoice"))
    def thing(thing_id: str) -> Thing | JSONResponse:
        answers = {
            "teapot": JSONResponse({"detail": "short and stout"}, status_code=418),
            "untyped": JSONResponse({"position": "one"}),
            "bare-404": JSONResponse({"detail": "Not Found"}, status_code=404),
            "problem": JSONResponse({"type": "/problems/x", "title": "x", "status": 404, "detail": "x", "code": "x"},
                                    status_code=404, media_type="application/problem+json"),
        }
        return answers.get(thing_id, Thing(position=1))

    client = conforming(TestClient(toy))
    assert client.get("/things/fine").json() == {"position": 1}
    with pytest.raises(OpenAPIConformanceError, match=r"GET /things/\{thing_id\} answered 418, which its OpenAPI does not document"):
        client.get("/things/teapot")
    with pytest.raises(OpenAPIConformanceError, match=r"GET /things/\{thing_id\} answered 200 .* at \$\.position: 'one' is not of type 'integer'"):
        client.get("/things/untyped")
    with pytest.raises(OpenAPIConformanceError, match=r"answered 404 as application/json; documented: application/problem\+json"):
        client.get("/things/bare-404")
    assert client.get("/things/problem").status_code == 404  # a documented problem passes
    with pytest.raises(OpenAPIConformanceError, match=r"answered 404 .* at \$: 'status' is a required property"):
        Conformance(toy).check("GET", "/things/x", 404, "application/problem+json", b'{"type": "/problems/x", "title": "x"}')
    assert client.get("/nowhere").status_code == 404  # no documented route: not the contract's business


def test_fastapis_own_validation_shape_would_break_the_contract(app: FastAPI) -> None:
    fastapi_shape = {"detail": [{"loc": ["body", "until"], "msg": "Field required", "type": "missing"}]}
    with pytest.raises(OpenAPIConformanceError, match=r"POST /invoices/\{invoice_id\}/deferrals answered 422"):
        Conformance(app).check("POST", "/invoices/I1/deferrals", 422, "application/problem+json",
                               json.dumps(fastapi_shape).encode())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_e2e_client_checks_every_answer_against_the_document(client: TestClient) -> None:
    client.app.openapi()["paths"]["/health/live"]["get"]["responses"].pop("200")  # type: ignore[attr-defined]
    with pytest.raises(OpenAPIConformanceError, match="GET /health/live answered 200, which its OpenAPI does not document"):
        client.get("/health/live")
