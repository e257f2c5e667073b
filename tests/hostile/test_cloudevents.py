"""CloudEvents of every type, valid-looking and broken, published by an integrator in every
content mode: never a 5xx; a refused request stores nothing (no event, no idempotency key); an
accepted one stores its batch whole; and the views take in everything accepted. On SQLite and
PostgreSQL."""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from tests.hostile.conftest import EXAMPLES, Sent, Tally, hostile_settings, sent
from tests.hostile.strategies import batches, materialize
from tests.support.auth import KeyedClient

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
MODES = ("structured", "plain-json", "batch", "batch", "binary", "bytes")


def text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def request_for(
    mode: str, events: list[dict[str, Any]], garbage: bytes, media: str
) -> tuple[dict[str, str], bytes, int]:
    """The headers and body publishing ``events`` in ``mode``, and how many events they carry."""
    if mode == "batch":
        return {"Content-Type": BATCH}, json.dumps(events).encode(), len(events)
    if mode == "bytes":  # not JSON, or JSON cut short
        return {"Content-Type": media}, garbage or json.dumps(events).encode()[:-1], 1
    event = events[0]
    if mode == "binary":  # the attributes in ce- headers, the data as the body
        headers = {f"ce-{name}": quote(text(value).encode("utf-8", "surrogatepass"), safe="")
                   for name, value in event.items() if name != "data"}
        body = json.dumps(event["data"]).encode() if "data" in event else b""
        return {**headers, "Content-Type": "application/json"}, body, 1
    return {"Content-Type": STRUCTURED if mode == "structured" else "application/json"}, json.dumps(event).encode(), 1


def assert_stored_whole(answer: Sent, count: int) -> None:
    """An accepted request stored each of its events once, after everything before it, and one
    idempotency key with each; a retried event was stored before and is not stored again. An
    event may store more than one (``consent.given`` opens the customer's contact book first:
    docs/events.md names them), all of them in the request's positions."""
    body = answer.response.json()
    assert len(body["results"]) == count
    new = [r["position"] for r in body["results"] if not r["duplicate"]]
    assert answer.after.events - answer.before.events == answer.after.head - answer.before.head >= len(new)
    assert answer.after.keys - answer.before.keys == len(new)
    assert len(set(new)) == len(new) and all(answer.before.head < p <= answer.after.head for p in new)
    assert max(new, default=answer.before.head) == answer.after.head
    assert body["position"] == max(r["position"] for r in body["results"])


def test_no_cloudevent_meets_a_server_error_and_a_refused_one_stores_nothing(client: KeyedClient, tally: Tally) -> None:
    journey = client.app.state.journey
    integrator = client.keyring.headers("integrator")
    numbers = itertools.count(1)
    accepted: list[int] = []

    @hostile_settings(EXAMPLES * 20)
    @given(events=batches(), mode=st.sampled_from(MODES), garbage=st.binary(max_size=64),
           media=st.sampled_from([STRUCTURED, BATCH, "application/json", "text/plain", ""]))
    def publish(events: list[dict[str, Any]], mode: str, garbage: bytes, media: str) -> None:
        n = next(numbers)
        names = {"{C}": f"hc{n}", "{O}": f"HO{n}", "{I}": f"HI{n}", "{K}": f"HK{n}", "{E0}": f"he{n}-0",
                 "{P}": f"he{n - 1}-0"}
        concrete = [materialize(event, {**names, "{E}": f"he{n}-{i}"}) for i, event in enumerate(events)]
        headers, body, count = request_for(mode, concrete, garbage, media)
        with tally.timed("cloudevents"):
            answer = sent(tally, "cloudevents", journey,
                          lambda: client.post("/events", content=body, headers={**integrator, **headers}))
        if answer.status == 202:
            assert_stored_whole(answer, count)
            accepted.append(count)

    publish()

    assert accepted, "no example was accepted: the campaign only knocked at the door"
    head = journey.service.head()
    caught_up = client.get("/customers", params={"min_position": head}, headers=client.keyring.headers("auditor"))
    assert caught_up.status_code == 200, caught_up.text  # the views took in every accepted event
