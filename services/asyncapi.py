"""Generate docs/asyncapi.yaml, the AsyncAPI 3.0 description of the journey's Kafka topics, from
the same pydantic models that validate ``POST /events`` and from the domain's event classes.

Run ``python -m services.asyncapi > docs/asyncapi.yaml``; a test keeps the file in step.
"""

from __future__ import annotations

from typing import Any

import yaml

from adapters import kafka_binding as binding
from adapters.cloudevents import JSON, STRUCTURED, Envelope
from adapters.kafka_event_schemas import (
    Watermark,
    ce_type_of,
    profile_model,
    public_model,
    stored_event_classes,
)
from adapters.kafka_events import POSITION, PREVIOUS, SOURCE, WATERMARK
from adapters.schemas import EVENT_TYPES, EXAMPLES
from services.api.cloudevent_docs import CLOUDEVENT, components, example
from services.asyncapi_parts import DEAD_LETTER_CODES, INFO, channel, merge, ref, schemas_of
from services.settings import Settings

KAFKA = {"bindingVersion": "0.5.0"}
CUSTOMER_KEY = {"type": "string", "description": "the customer id", "examples": ["hw-1001"]}
_DIGITS = {"type": "string", "pattern": "^[0-9]+$"}


def _binary_headers() -> dict[str, Any]:
    """Binary mode headers: ``ce_`` and each context attribute of the envelope, as ``POST /events``
    reads it, plus ``content-type``."""
    schema = Envelope.model_json_schema()
    properties = {}
    for name, prop in schema["properties"].items():
        if name != "data":
            options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
            properties[f"ce_{name}"] = {k: v for k, v in options[0].items() if k not in ("title", "default")}
    properties[binding.CONTENT_TYPE] = {"const": JSON, "description": "the data is JSON (the default when absent)"}
    required = [f"ce_{name}" for name in schema["required"] if name != "data"]
    return {"type": "object", "description": "CloudEvents Kafka protocol binding, binary mode: the context "
            "attributes as UTF-8 `ce_` headers; extension attributes are allowed as further `ce_` headers.",
            "properties": properties, "required": required}


def _touchpoint_messages() -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for type_name, data in EVENT_TYPES.items():
        whole = example(type_name)
        summary = (data.__doc__ or "").strip()
        key = {"bindings": {"kafka": {"key": {**CUSTOMER_KEY, "description": "the customer id (the CloudEvent "
                                              "subject), recommended: keeps a customer's touchpoints in order"}, **KAFKA}}}
        messages[f"{type_name}.binary"] = {
            "name": type_name, "title": f"{type_name} (binary mode)", "summary": summary, "contentType": JSON,
            "headers": {"allOf": [ref("schemas", "BinaryModeHeaders"),
                                  {"properties": {"ce_type": {"const": type_name}}}]},
            "payload": ref("schemas", data.__name__), **key,
            "examples": [{"name": type_name.replace(".", "-"), "headers": {
                **{f"ce_{k}": v for k, v in whole.items() if k != "data"}, binding.CONTENT_TYPE: JSON},
                "payload": EXAMPLES[type_name]}],
        }
        messages[f"{type_name}.structured"] = {
            "name": type_name, "title": f"{type_name} (structured mode)", "summary": summary,
            "contentType": STRUCTURED,
            "headers": {"type": "object", "properties": {binding.CONTENT_TYPE: {"const": STRUCTURED}},
                        "required": [binding.CONTENT_TYPE]},
            "payload": ref("schemas", f"{data.__name__}Event"), **key,
            "examples": [{"name": type_name.replace(".", "-"), "headers": {binding.CONTENT_TYPE: STRUCTURED},
                          "payload": whole}],
        }
    return messages


def _dead_letter() -> dict[str, Any]:
    original = f"`{binding.ORIGINAL_TOPIC}`, `{binding.ORIGINAL_PARTITION}` and `{binding.ORIGINAL_OFFSET}`"
    return {
        "name": "dead-letter", "title": "A touchpoint that could not be stored",
        "summary": "The original message, as it came, with headers naming the error and where it was read.",
        "description": "Key, value and headers are the original message's, byte for byte (the value may be "
                       f"any bytes, even none); the headers `{binding.ERROR_CODE}`, `{binding.ERROR_DETAIL}`, "
                       f"{original} are added. Fix the cause and publish it again to the touchpoints topic: "
                       "idempotency on (`source`, `id`) stores it once.",
        "headers": {"type": "object", "properties": {
            binding.ERROR_CODE: {"type": "string", "description": "why it could not be stored: one of the codes "
                                 "the binding and the CloudEvents reader give (listed in `examples`), or the code "
                                 "of the domain rule it breaks (e.g. `unknown-order`, `customer-exists`, "
                                 "`currency-mismatch`, `invalid-transition`, `domain-rule`), or "
                                 "`idempotency-conflict` (its (`source`, `id`) was stored with other content); "
                                 "the same codes as the problems of `POST /events`",
                                 "examples": list(DEAD_LETTER_CODES)},
            binding.ERROR_DETAIL: {"type": "string", "description": "what is wrong and how to fix it, UTF-8, at "
                                   f"most {binding.MAX_DETAIL_BYTES} bytes"},
            binding.ORIGINAL_TOPIC: {"type": "string"},
            binding.ORIGINAL_PARTITION: {**_DIGITS, "description": "decimal"},
            binding.ORIGINAL_OFFSET: {**_DIGITS, "description": "decimal"},
        }, "required": [binding.ERROR_CODE, binding.ERROR_DETAIL, binding.ORIGINAL_TOPIC,
                        binding.ORIGINAL_PARTITION, binding.ORIGINAL_OFFSET]},
        "payload": {"description": "the original value (any bytes, or none)"},
        "bindings": {"kafka": {"key": {"description": "the original key (any bytes, or none)"}, **KAFKA}},
    }


def _relay_headers(ce_type: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "description": "stable: the aggregate id (hex) and the event's version in it"},
        "ce_source": {"const": SOURCE},
        "ce_type": {"const": ce_type} if ce_type else {"type": "string", "description": "journey.<aggregate>.<event>"},
        "ce_subject": {"type": "string", "description": "the customer id"},
        "ce_time": {"type": "string", "format": "date-time", "description": "when the event was recorded"},
        binding.CONTENT_TYPE: {"const": JSON},
        POSITION: {**_DIGITS, "description": "the event's position in the shared stream (decimal)"},
        PREVIOUS: {**_DIGITS, "description": "the position of the previous event the relay wrote to this "
                   "partition, 0 for the first: a consumer that applied every event up to it misses nothing"},
    }
    required = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", POSITION, PREVIOUS]
    return {"type": "object", "description": "CloudEvents Kafka protocol binding, binary mode, and the stream "
            "position headers (UTF-8 text)", "properties": properties, "required": required}


def _stream_messages() -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for cls in stored_event_classes():
        name = ce_type_of(cls)
        messages[name] = {
            "name": name, "title": cls.__qualname__, "contentType": JSON,
            "headers": {"allOf": [ref("schemas", "RelayedEventHeaders"), {"properties": {"ce_type": {"const": name}}}]},
            "payload": ref("schemas", public_model(cls).__name__),
            "bindings": {"kafka": {"key": CUSTOMER_KEY, **KAFKA}},
        }
    watermark = _relay_headers(WATERMARK)
    watermark["properties"]["ce_id"] = {"type": "string", "description": "watermark.<position>.<partition>"}
    watermark["required"] = ["ce_specversion", "ce_id", "ce_source", "ce_type", POSITION, PREVIOUS]
    del watermark["properties"]["ce_subject"], watermark["properties"]["ce_time"]
    messages[WATERMARK] = {
        "name": WATERMARK, "title": "Watermark", "contentType": JSON, "headers": watermark,
        "summary": "After every batch, on every partition: this partition holds every event up to `position`.",
        "description": "No key. A consumer that does not know the type ignores it; a Kafka-fed view uses it "
                       "to answer `?min_position` reads.",
        "payload": ref("schemas", Watermark.__name__),
        "examples": [{"name": "watermark", "payload": {"position": 4711}}],
    }
    return messages


def _customer_messages() -> dict[str, Any]:
    profile = {k: EXAMPLES["customer.registered"].get(k) for k in profile_model().model_fields}
    headers = {"type": "object", "properties": {binding.CONTENT_TYPE: {"const": JSON}, POSITION: {
        **_DIGITS, "description": "the position of the event that made this profile current"}},
        "required": [binding.CONTENT_TYPE, POSITION]}
    return {
        "customer.profile": {
            "name": "customer.profile", "title": "A customer's current profile", "contentType": JSON,
            "x-personal-data": True, "headers": headers, "payload": ref("schemas", profile_model().__name__),
            "bindings": {"kafka": {"key": CUSTOMER_KEY, **KAFKA}},
            "examples": [{"name": "profile", "payload": {**profile, "customer_id": "hw-1001"}}],
        },
        "customer.erased": {
            "name": "customer.erased", "title": "Tombstone: the person was erased",
            "summary": "A null value under the customer id; compaction then removes the profile.",
            "headers": headers, "payload": {"type": "null"},
            "bindings": {"kafka": {"key": CUSTOMER_KEY, **KAFKA}},
        },
    }


#: The messages the contacts topic carries (the same as on the events topic).
CONTACTS_TYPES = ("journey.contact_book.contact_made", "journey.contact_book.contact_cancelled")


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document, as plain data."""
    settings = Settings.model_fields
    partitions, replicas = settings["kafka_partitions"].default, settings["kafka_replication_factor"].default
    touchpoints, dead, stream, customers = (_touchpoint_messages(), {"dead-letter": _dead_letter()},
                                            _stream_messages(), _customer_messages())
    schemas = {name: s for name, s in components().items() if name != CLOUDEVENT}
    schemas["BinaryModeHeaders"] = _binary_headers()
    schemas["RelayedEventHeaders"] = _relay_headers(None)
    merge(schemas, schemas_of([*(public_model(c) for c in stored_event_classes()), Watermark, profile_model()]))
    return {
        "asyncapi": "3.0.0",
        "info": INFO,
        "defaultContentType": JSON,
        "servers": {"kafka": {"host": settings["kafka_bootstrap"].default, "protocol": "kafka", "description":
                              "the brokers (`JOURNEY_KAFKA_BOOTSTRAP`; this is the default)"}},
        "channels": {
            "touchpoints": channel("touchpoints", touchpoints, partitions, replicas),
            "touchpointsDeadLetters": channel("touchpointsDeadLetters", dead, partitions, replicas),
            "events": channel("events", stream, partitions, replicas),
            "customers": channel("customers", customers, partitions, replicas, compacted=True),
            "contacts": channel("contacts", {k: v for k, v in stream.items() if k in CONTACTS_TYPES}, partitions,
                                replicas),
        },
        "operations": {
            "ingestTouchpoints": {"action": "receive", "channel": ref("channels", "touchpoints"),
                                  "title": "journey ingest stores the touchpoints integrators publish",
                                  "bindings": {"kafka": {"groupId": {"type": "string", "enum": [
                                      settings["kafka_group"].default]}, **KAFKA}}},
            "deadLetterTouchpoints": {"action": "send", "channel": ref("channels", "touchpointsDeadLetters"),
                                      "title": "journey ingest sets aside what it cannot store"},
            "relayEvents": {"action": "send", "channel": ref("channels", "events"),
                            "title": "journey relay publishes the shared stream in position order"},
            "projectEvents": {"action": "receive", "channel": ref("channels", "events"),
                              "title": "journey project --source kafka applies the department views"},
            "relayCustomers": {"action": "send", "channel": ref("channels", "customers"),
                               "title": "journey relay publishes each customer's current profile"},
            "relayContacts": {"action": "send", "channel": ref("channels", "contacts"),
                              "title": "journey relay publishes the contacts the contact rule allowed"},
        },
        "components": {
            "schemas": schemas,
            "messages": {**touchpoints, **dead, **stream, **customers},
        },
    }


def render() -> str:
    """docs/asyncapi.yaml as text."""
    return yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    print(render(), end="")
