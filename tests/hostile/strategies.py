"""What a hostile caller sends: values of every JSON type in the wrong place, huge and odd
strings, odd times, and CloudEvents built from the catalogue's examples, mostly coherent (so that
whole batches are accepted) and sometimes broken in one or more places.

Events refer to their customer, order, invoice, complaint and to their own id by placeholders
(``{C}``, ``{O}``, ``{I}``, ``{K}``, ``{E}``); a test makes them concrete with ``materialize``
and a number of its own, so that every example names entities of its own.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

from adapters.schemas import EVENT_TYPES, EXAMPLES

PLACEHOLDERS = {"hw-1001": "{C}", "O-1001": "{O}", "O-1002": "{O}", "INV-1001": "{I}", "CP-1": "{K}"}
#: The catalogue's example data of every type, naming the example's entities by placeholder.
TEMPLATES: dict[str, Any] = json.loads(json.dumps(EXAMPLES), object_hook=lambda obj: {
    k: PLACEHOLDERS.get(v, v) if isinstance(v, str) else v for k, v in obj.items()})
#: A customer, the order, its invoice and a complaint about it: what later events refer to.
CHAIN = ("customer.registered", "order.placed", "invoice.issued", "complaint.filed")
FOLLOWERS = sorted(set(EVENT_TYPES) - set(CHAIN[:3]))
ENVELOPE = ("specversion", "id", "source", "type", "subject", "data", "time")
#: Sources the campaign's integrator key is bound to, and some it is not.
BOUND = ("shop", "payments", "till")
UNBOUND = ("evil", "shop ", "SHOP", "", "payments\x00")

CANNED = [
    "", " ", "\x00", "\t", "null", "true", "0", "-1", "1e309", "NaN", "../../etc/passwd", "' OR 1=1 --",
    "<script>alert(1)</script>", "\u202egnp.exe", "\ufeff", "Ω≈ç√∫", "😀" * 3, "a\nb", "%00", "%2F", "{C}",
    "${jndi:ldap://x}", "\\u0000", "2026-03-01", "EUR", "eur", "999999999999999999999.99", "-0.00",
]
#: Long strings; the longest are over the API's body limit.
huge_strings = st.builds(lambda unit, n: unit * n, st.sampled_from(["x", "é", "😀", "\x00", "9"]),
                         st.sampled_from([2_001, 65_537, 300_000]))
lone_surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
odd_strings = st.one_of(st.sampled_from(CANNED), st.text(max_size=40), lone_surrogates, huge_strings)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=False, allow_infinity=False).map(str),
    odd_strings,
)
hostile_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)
odd_times = st.sampled_from([
    "2016-01-01T00:00:00Z", "2099-01-01T00:00:00Z", "2026-03-02T09:06:00Z", "not a time", "", "2026-02-30T10:00:00Z",
    "2026-03-01", "2026-03-01T10:00:00", "2026-03-01T25:61:00Z", "2026-03-01T23:59:60Z", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z", "2026-03-01T10:00:00+14:00", "2026-03-01T10:00:00-23:59", "+002026-03-01T10:00Z",
    "1772442000", 1772442000, -1, None, [], {},
]) | odd_strings
good_times = st.sampled_from([None, "2026-03-01T10:00:00Z", "2026-03-02T09:04:59+00:00", "2017-01-01T00:00:00.5+01:00"])

MISSING = object()


def materialize(value: Any, names: dict[str, str]) -> Any:
    """``value`` with every placeholder string replaced by its name in ``names``."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [materialize(v, names) for v in value]
    if isinstance(value, dict):
        return {k: materialize(v, names) for k, v in value.items()}
    return value


@st.composite
def broken(draw: st.DrawFn, event: dict[str, Any]) -> dict[str, Any]:
    """``event`` broken in one to three places: a data field dropped, of a wrong type, odd or
    extra; the data not an object; an attribute dropped or of a wrong type; an odd time; an
    unknown type; an extension; the id of another event."""
    event = copy.deepcopy(event)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["data-field", "data-field", "data-extra", "data", "attribute", "drop",
                                    "time", "type", "extension", "reused-id", "source", "source"]))
        data = event.get("data")
        if how in ("data-field", "data-extra") and isinstance(data, dict):
            field = draw(st.sampled_from(sorted(data))) if data and how == "data-field" else draw(st.text(max_size=12))
            if draw(st.booleans()) and how == "data-field":
                data.pop(field, None)
            else:
                data[field] = draw(hostile_values)
        elif how == "data":
            event["data"] = draw(hostile_values)
        elif how == "attribute":
            event[draw(st.sampled_from(ENVELOPE))] = draw(hostile_values)
        elif how == "drop":
            event.pop(draw(st.sampled_from(ENVELOPE)), None)
        elif how == "time":
            event["time"] = draw(odd_times)
        elif how == "type":
            event["type"] = draw(st.sampled_from(["customer.teleported", "Customer.Registered", "order.placed "])
                                 | odd_strings)
        elif how == "extension":
            event[draw(st.sampled_from(["partitionkey", "traceparent", "x", "dataref"]) | st.text(max_size=12))] = \
                draw(hostile_values)
        elif how == "reused-id":
            event["id"] = draw(st.sampled_from(["{E0}", "{P}"]))  # the batch's first, the previous example's
        else:
            event["source"] = draw(st.sampled_from(UNBOUND) | odd_strings)
    return event


@st.composite
def cloudevent(draw: st.DrawFn, type_: str) -> dict[str, Any]:
    """A CloudEvent of ``type_`` built from the catalogue's example; broken one time in four."""
    event = {"specversion": "1.0", "id": "{E}", "source": draw(st.sampled_from(BOUND)), "type": type_,
             "subject": "{C}", "data": copy.deepcopy(TEMPLATES[type_])}
    time = draw(good_times)
    if time is not None:
        event["time"] = time
    if draw(st.integers(0, 3)) == 0:
        return draw(broken(event))
    return event


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One to seven events: a prefix of the chain (customer, order, invoice, complaint), then
    events that refer to them, each possibly broken."""
    chain = CHAIN[: draw(st.integers(0, len(CHAIN)))]
    followers = draw(st.lists(st.sampled_from(FOLLOWERS), max_size=7 - len(chain)))
    events = [draw(cloudevent(type_)) for type_ in (*chain, *followers)]
    return events or [draw(cloudevent(draw(st.sampled_from(sorted(EVENT_TYPES)))))]
