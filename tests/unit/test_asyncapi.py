"""docs/asyncapi.yaml stays in step with the code, is a well-formed AsyncAPI 3.0 document, and
describes the messages the journey really reads and writes."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from adapters.kafka_binding import KafkaRecord, dead_letter_headers, read_record
from adapters.kafka_event_schemas import ce_type_of, stored_event_classes
from adapters.kafka_events import event_message, profile_message, public_data, watermark_message
from adapters.schemas import EVENT_TYPES
from domain.errors import TimeOutOfRangeError
from domain.holds import DunningPolicy
from domain.personal import PERSONAL_FIELDS
from domain.values import OrderLine
from services import asyncapi, catalogue
from services.api import cloudevent_docs
from services.asyncapi_parts import DEAD_LETTER_CODES
from tests.unit.builders import AT, BOB, KETTLE, SUE, eur, file_complaint, issue_invoice, place_order, register_customer

ROOT = Path(__file__).resolve().parents[2]
DOC = asyncapi.document()
KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")


def resolve(pointer: str) -> Any:
    """The part of the document a local ``$ref`` points at; KeyError when it points nowhere."""
    assert pointer.startswith("#/"), pointer
    node: Any = DOC
    for part in pointer[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [*([node["$ref"]] if isinstance(node.get("$ref"), str) else []),
                *(r for value in node.values() for r in refs(value))]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def valid(schema: dict[str, Any], instance: Any) -> None:
    """Validate ``instance`` against ``schema`` with the document's components in reach."""
    Draft202012Validator({**schema, "components": DOC["components"]}, format_checker=FormatChecker()).validate(instance)


def message(key: str) -> dict[str, Any]:
    return DOC["components"]["messages"][key]


def header_values(headers: Any) -> dict[str, str]:
    return {name: value.decode() for name, value in headers}


def test_the_asyncapi_document_is_generated_from_the_code() -> None:
    committed = (ROOT / "docs" / "asyncapi.yaml").read_text()
    assert committed == asyncapi.render(), "run: python -m services.asyncapi > docs/asyncapi.yaml"


def test_the_yaml_reads_back_as_the_generated_document() -> None:
    assert yaml.safe_load(asyncapi.render()) == json.loads(json.dumps(DOC))


def test_the_document_has_the_shape_of_asyncapi_3() -> None:
    assert DOC["asyncapi"] == "3.0.0"
    assert DOC["info"]["title"] and DOC["info"]["version"]
    assert {s["protocol"] for s in DOC["servers"].values()} == {"kafka"}
    addresses = {name: channel["address"] for name, channel in DOC["channels"].items()}
    assert addresses == {"touchpoints": "journey.touchpoints", "touchpointsDeadLetters": "journey.touchpoints.dlq",
                         "events": "journey.events", "customers": "journey.customers", "contacts": "journey.contacts"}
    for channel in DOC["channels"].values():
        assert channel["messages"] and channel["bindings"]["kafka"]["topic"] == channel["address"]
        for key, ref in channel["messages"].items():
            assert ref == {"$ref": f"#/components/messages/{key}"}
    assert {op["action"] for op in DOC["operations"].values()} == {"send", "receive"}
    for op in DOC["operations"].values():
        assert op["channel"]["$ref"].startswith("#/channels/")
    for section in DOC["components"].values():
        assert all(KEY.match(name) for name in section), [n for n in section if not KEY.match(n)]
    for msg in DOC["components"]["messages"].values():
        assert msg["headers"].get("type") == "object" or "allOf" in msg["headers"]
        assert "payload" in msg


def test_every_reference_resolves() -> None:
    found = refs(DOC)
    assert len(found) > 100
    for pointer in set(found):
        assert isinstance(resolve(pointer), dict), pointer


def test_every_cloudevent_type_is_a_touchpoint_message_in_both_modes() -> None:
    channel = DOC["channels"]["touchpoints"]["messages"]
    assert set(channel) == {f"{t}.{mode}" for t in EVENT_TYPES for mode in ("binary", "structured")}
    for type_name, data in EVENT_TYPES.items():
        assert message(f"{type_name}.binary")["payload"] == {"$ref": f"#/components/schemas/{data.__name__}"}
        assert message(f"{type_name}.structured")["payload"] == {"$ref": f"#/components/schemas/{data.__name__}Event"}
    openapi = cloudevent_docs.components()
    for name in (*(m.__name__ for m in EVENT_TYPES.values()), *(f"{m.__name__}Event" for m in EVENT_TYPES.values())):
        assert resolve(f"#/components/schemas/{name}") == openapi[name], "the OpenAPI of POST /events names the same"


def test_the_touchpoint_examples_are_valid_and_ingest_reads_them() -> None:
    for type_name in EVENT_TYPES:
        for mode in ("binary", "structured"):
            msg = message(f"{type_name}.{mode}")
            (sample,) = msg["examples"]
            valid(msg["headers"], sample["headers"])
            valid(msg["payload"], sample["payload"])
            headers = tuple((k, v.encode()) for k, v in sample["headers"].items())
            record = KafkaRecord("journey.touchpoints", 0, 0, b"hw-1001", json.dumps(sample["payload"]).encode(), headers)
            submission = read_record(record)
            assert (submission.type, submission.source) == (type_name, "shop")


def test_every_stored_event_type_is_a_message_on_the_events_topic() -> None:
    channel = DOC["channels"]["events"]["messages"]
    assert set(channel) == {ce_type_of(cls) for cls in stored_event_classes()} | {"journey.watermark"}
    named = [n for v in catalogue.STORED_AS.values() for n in v.replace("(+ ", "").replace(")", "").split()]
    named += [n for _, v, _ in catalogue.DEPARTMENT_EVENTS for n in v.replace("(+ ", "").replace(")", "").split()]
    titles = {message(key)["title"] for key in channel}
    assert set(named) <= titles
    assert {"Invoice.DunningLevelReached", "Invoice.WrittenOff", "Complaint.Filed"} <= titles


def _properties(schema: Any) -> set[str]:
    """Every property name a schema (and every schema it references) defines."""
    if isinstance(schema, dict):
        names = set(schema.get("properties", {}))
        if "$ref" in schema:
            names |= _properties(resolve(schema["$ref"]))
        return names | {n for value in schema.values() for n in _properties(value)}
    if isinstance(schema, list):
        return {n for value in schema for n in _properties(value)}
    return set()


def test_no_personal_field_is_described_on_the_events_topic() -> None:
    for key in DOC["channels"]["events"]["messages"]:
        assert not _properties(message(key)["payload"]) & (PERSONAL_FIELDS | {"user"}), key
    assert {"name", "email", "birthday", "phone", "address"} <= _properties(message("customer.profile")["payload"])
    assert DOC["channels"]["customers"]["x-personal-data"] is True
    assert DOC["channels"]["customers"]["bindings"]["kafka"]["topicConfiguration"] == {"cleanup.policy": ["compact"]}


def _real_events() -> list[Any]:
    customer = register_customer("hw-1001")
    customer.change_contact_details(email=None, phone="+49 30 1", address=None, at=AT, by=SUE)
    order = place_order("O-1", "hw-1001", lines=[KETTLE, OrderLine("BIT-1", "accessories", 3, eur("4.95").amount)])
    order.ship(at=AT, by=BOB)
    order.take_back(lines=[KETTLE], at=AT, by=SUE)
    invoice = issue_invoice("I-1", "O-1", "hw-1001")
    invoice.request_detailed_invoice(note="itemise it", at=AT, by=SUE)
    invoice.receive_payment(amount=eur("40.00"), at=AT, by=BOB)
    invoice.grant_deferral(until=date(2026, 3, 20), reason="salary", policy=DunningPolicy(), at=AT, by=SUE)
    invoice.credit(amount=eur("10.00"), reason="goodwill", at=AT, by=BOB)
    complaint = file_complaint("K-1", "O-1", "hw-1001")
    complaint.answer(text="we send a new one", at=AT, by=SUE)
    return [e for aggregate in (customer, order, invoice, complaint) for e in aggregate.collect_events()]


def test_the_relayed_events_match_their_message() -> None:
    events = _real_events()
    assert len({type(e) for e in events}) >= 10
    for position, event in enumerate(events, start=1):
        sent = event_message("journey.events", event, position, "hw-1001", 0, position - 1)
        msg = message(ce_type_of(type(event)))
        valid(msg["payload"], public_data(event))
        valid(msg["payload"], json.loads(sent.value or b""))
        valid(msg["headers"], header_values(sent.headers))
        valid(msg["bindings"]["kafka"]["key"], (sent.key or b"").decode())


def test_watermarks_and_profiles_match_their_message() -> None:
    mark = watermark_message("journey.events", 42, 3, 40)
    valid(message("journey.watermark")["payload"], json.loads(mark.value or b""))
    valid(message("journey.watermark")["headers"], header_values(mark.headers))
    profile = {"customer_id": "hw-1001", "name": "Max", "email": "max@example.org", "birthday": date(1980, 5, 17),
               "phone": None, "address": None}
    sent = profile_message("journey.customers", "hw-1001", profile, 7, 0)
    valid(message("customer.profile")["payload"], json.loads(sent.value or b""))
    valid(message("customer.profile")["headers"], header_values(sent.headers))
    (sample,) = message("customer.profile")["examples"]
    valid(message("customer.profile")["payload"], sample["payload"])
    tombstone = profile_message("journey.customers", "hw-1001", None, 8, 0)
    valid(message("customer.erased")["payload"], tombstone.value)


def test_a_schema_refuses_a_personal_field_slipped_into_an_event() -> None:
    event = _real_events()[0]
    with pytest.raises(Exception, match="Additional properties"):
        valid(message(ce_type_of(type(event)))["payload"], {**public_data(event), "name": "Max"})


def test_the_dead_letter_codes_are_those_the_reader_gives() -> None:
    source = "".join((ROOT / "adapters" / f).read_text() for f in ("cloudevents.py", "kafka_binding.py"))
    given = set(re.findall(r'CloudEventError\(\s*\d+,\s*"([a-z-]+)"', source)) - {"invalid-batch"}  # HTTP only
    assert set(DEAD_LETTER_CODES) == given | {TimeOutOfRangeError.code}
    record = KafkaRecord("journey.touchpoints", 2, 17, b"hw-1001", b"\xff", (("ce_type", b"order.placed"),))
    headers = dead_letter_headers(record, "malformed-json", "the body is not valid JSON")
    valid(message("dead-letter")["headers"], {name: (value or b"").decode() for name, value in headers})
    assert set(message("dead-letter")["headers"]["required"]) == {name for name, _ in headers} - {"ce_type"}
