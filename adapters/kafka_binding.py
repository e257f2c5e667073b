"""The CloudEvents Kafka protocol binding: a Kafka message read into a Submission, and the
headers a dead letter carries. Pure functions; validation is the HTTP adapter's, reused.

Binary mode: the context attributes are ``ce_`` headers (UTF-8), the value is the data.
Structured mode: ``content-type: application/cloudevents+json``, the value is the CloudEvent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapters.cloudevents import JSON, STRUCTURED, CloudEventError, Submission, from_attributes, read_structured

CE_PREFIX = "ce_"
CONTENT_TYPE = "content-type"

#: Headers a dead letter carries beside the original ones.
ERROR_CODE = "journey_error_code"
ERROR_DETAIL = "journey_error_detail"
ORIGINAL_TOPIC = "journey_original_topic"
ORIGINAL_PARTITION = "journey_original_partition"
ORIGINAL_OFFSET = "journey_original_offset"
MAX_DETAIL_BYTES = 4096

Headers = tuple[tuple[str, bytes | None], ...]


@dataclass(frozen=True)
class KafkaRecord:
    """One consumed message, as it came: where it was read and its raw key, value and headers."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()


def _text(name: str, value: bytes | None) -> str:
    try:
        return (value or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise CloudEventError(400, "malformed-header", f"header {name!r} is not UTF-8 text") from None


def read_record(record: KafkaRecord) -> Submission:
    """Read and validate the CloudEvent a message carries; raises CloudEventError (the same
    codes as ``POST /events``) when it is not an acceptable one."""
    content_type = next((_text(n, v) for n, v in record.headers if n.lower() == CONTENT_TYPE), "")
    media = content_type.split(";")[0].strip().lower()
    if record.value is None:
        raise CloudEventError(400, "malformed-json", "the message has no value (a tombstone), so no CloudEvent")
    if media == STRUCTURED:
        return read_structured(record.value)
    attributes = {n[len(CE_PREFIX):]: _text(n, v) for n, v in record.headers if n.lower().startswith(CE_PREFIX)}
    if "specversion" in {a.lower() for a in attributes}:
        if media not in (JSON, ""):
            raise CloudEventError(415, "unsupported-media-type", f"binary mode data must be {JSON}")
        return from_attributes(attributes, record.value)
    raise CloudEventError(
        415, "unsupported-media-type",
        f"send content-type {STRUCTURED} (structured mode) or ce_ headers with JSON data (binary mode)",
    )


def dead_letter_headers(record: KafkaRecord, code: str, detail: str) -> list[tuple[str, bytes | None]]:
    """The original headers plus the error's code and detail and where the message was read."""
    return [
        *record.headers,
        (ERROR_CODE, code.encode()),
        (ERROR_DETAIL, detail.encode()[:MAX_DETAIL_BYTES]),
        (ORIGINAL_TOPIC, record.topic.encode()),
        (ORIGINAL_PARTITION, str(record.partition).encode()),
        (ORIGINAL_OFFSET, str(record.offset).encode()),
    ]


def next_offsets(records: Sequence[KafkaRecord]) -> dict[tuple[str, int], int]:
    """The offset to commit per (topic, partition) once ``records`` are durable: the next one."""
    after: dict[tuple[str, int], int] = {}
    for r in records:
        after[(r.topic, r.partition)] = max(after.get((r.topic, r.partition), 0), r.offset + 1)
    return after
