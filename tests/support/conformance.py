"""Every answer a test client sees must be one the app's own OpenAPI document promises.

``conforming(client)`` checks each response as it arrives: its status must be documented for
the route's method and path template, and its body must match the schema documented for its
content type (OpenAPI 3.1 schemas are JSON Schema 2020-12; ``#/components`` references are
resolved in the document itself). A broken promise fails the request that revealed it with an
``OpenAPIConformanceError`` naming the route, the status and what is wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = "urn:openapi"
Client = TypeVar("Client", bound=httpx.Client)


class OpenAPIConformanceError(AssertionError):
    """An answer the OpenAPI document does not promise."""


def _pattern(template: str) -> re.Pattern[str]:
    """``/invoices/{invoice_id}/dunning`` -> ``^/invoices/[^/]+/dunning$``."""
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in re.split(r"\{[^/}]+\}", template)) + "$")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Conformance:
    """The OpenAPI document of one app, ready to check answers against."""

    def __init__(self, app: FastAPI) -> None:
        self.document: dict[str, Any] = app.openapi()
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(DOCUMENT, resource)
        # static segments first: /customers/search is not /customers/{customer_id}
        self.templates = sorted(
            ((_pattern(template), template) for template in self.document["paths"]),
            key=lambda pair: (pair[1].count("{"), pair[1]),
        )
        self._validators: dict[str, Draft202012Validator] = {}

    def template(self, method: str, path: str) -> str | None:
        """The documented path template that serves ``method path``, if any."""
        for regex, template in self.templates:
            if regex.match(path) and method.lower() in self.document["paths"][template]:
                return template
        return None

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        """Raise OpenAPIConformanceError unless the answer is one the document promises.
        Paths no documented route serves (the API's 404 for unknown paths, /docs) are not checked."""
        template = self.template(method, path)
        if template is not None:
            self.check_route(method, template, status, content_type, body)

    def check_route(self, method: str, template: str, status: int, content_type: str, body: bytes) -> None:
        """``check`` for a route named by its path template."""
        route = f"{method} {template}"
        responses = self.document["paths"][template][method.lower()]["responses"]
        if str(status) not in responses:
            raise OpenAPIConformanceError(
                f"{route} answered {status}, which its OpenAPI does not document "
                f"(documented: {', '.join(sorted(responses))}); body: {body[:300]!r}"
            )
        content = responses[str(status)].get("content") or {}
        if not content:
            if body:
                raise OpenAPIConformanceError(f"{route} answered {status} with a body, but none is documented")
            return
        media = content_type.split(";")[0].strip().lower()
        if media not in content:
            raise OpenAPIConformanceError(
                f"{route} answered {status} as {media or 'no content type'}; documented: {', '.join(content)}"
            )
        if not (media == "application/json" or media.endswith("+json")):
            return
        pointer = "/".join(("#", "paths", _escape(template), method.lower(), "responses", str(status),
                            "content", _escape(media), "schema"))
        try:
            instance = json.loads(body)
        except ValueError as error:
            raise OpenAPIConformanceError(f"{route} answered {status} as {media} with a body that is not JSON: {error}") from None
        error = best_match(self._validator(pointer).iter_errors(instance))
        if error is not None:
            where = error.json_path
            raise OpenAPIConformanceError(
                f"{route} answered {status} with a body that breaks its documented schema at {where}: "
                f"{error.message}; body: {body[:300]!r}"
            )

    def _validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator({"$ref": DOCUMENT + pointer}, registry=self.registry)
        return self._validators[pointer]


def conforming(client: Client, app: FastAPI | None = None) -> Client:
    """``client`` (a TestClient, or any httpx client of ``app``) checking every answer it receives."""
    target = app if app is not None else client.app  # type: ignore[attr-defined]
    checker: list[Conformance] = []  # built on the first answer: the app may still be wired then

    def check(response: httpx.Response) -> None:
        if not checker:
            checker.append(Conformance(target))
        response.read()
        request = response.request
        checker[0].check(request.method, request.url.path, response.status_code,
                         response.headers.get("content-type", ""), response.content)

    client.event_hooks = {**client.event_hooks, "response": [*client.event_hooks["response"], check]}
    return client
