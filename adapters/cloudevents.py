"""CloudEvents 1.0 over HTTP: structured, binary and batched modes, read into Submissions (the
Kafka binding in adapters/kafka_touchpoints.py reads with the same functions).

Every error names what is wrong in a machine-readable way (``code`` and field-level ``errors``),
and nothing here touches the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import unquote

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from adapters.hints import hint
from adapters.schemas import EVENT_TYPES, Id
from domain.commands import Command
from domain.dates import check_event_time
from domain.errors import TimeOutOfRangeError

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
JSON = "application/json"


@dataclass(frozen=True)
class Submission:
    """A touchpoint from an integrator: its CloudEvent identity and the command it carries."""

    source: str
    event_id: str
    type: str
    digest: str
    command: Command
    time: datetime | None = None


@dataclass
class CloudEventError(Exception):
    """Input that is not an acceptable CloudEvent; ``status`` is the HTTP status to answer."""

    status: int
    code: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    index: int | None = None

    def __str__(self) -> str:
        return self.detail


class Envelope(BaseModel):
    """The CloudEvents context attributes the journey needs; extensions are allowed."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"]
    id: Id
    source: Id
    type: Id
    subject: Id
    time: AwareDatetime | None = None
    datacontenttype: Literal["application/json"] | None = None
    dataschema: str | None = None
    data: dict[str, Any]


def _field_errors(error: ValidationError, prefix: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """The errors' locations in the request, with a hint each on how to fix it (named relative
    to the envelope or its data)."""
    return [
        {"location": [*prefix, *e["loc"]], "message": e["msg"], "type": e["type"],
         "hint": hint({**e, "loc": ("body", *e["loc"])}, "application/json")}
        for e in error.errors(include_url=False)
    ]


def _invalid(what: str, errors: list[dict[str, Any]]) -> str:
    """``what`` is invalid, and how to fix it (the first hints)."""
    hints = list(dict.fromkeys(e["hint"] for e in errors))
    return f"{what}: {'; '.join(hints[:3])}" if hints else what


def _load_json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CloudEventError(400, "malformed-json", f"the body is not valid JSON: {error}") from None
    except ValueError as error:  # valid JSON we cannot represent, e.g. an integer of 5000 digits
        raise CloudEventError(400, "malformed-json", f"the body holds JSON that cannot be read: {error}") from None
    except RecursionError:
        raise CloudEventError(400, "malformed-json", "the body nests JSON too deeply") from None


def to_submission(raw: Any, index: int | None = None) -> Submission:
    """Validate one structured CloudEvent (already decoded JSON) and read its command."""
    where: tuple[Any, ...] = () if index is None else (index,)
    if not isinstance(raw, dict):
        raise CloudEventError(422, "invalid-cloudevent", "a CloudEvent must be a JSON object", index=index)
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as error:
        errors = _field_errors(error, where)
        raise CloudEventError(
            422, "invalid-cloudevent", _invalid("the CloudEvent envelope is invalid", errors), errors, index
        ) from None
    schema = EVENT_TYPES.get(envelope.type)
    if schema is None:
        raise CloudEventError(
            422, "unknown-event-type",
            f"unknown event type {envelope.type!r}; known: {', '.join(sorted(EVENT_TYPES))}",
            [{"location": [*where, "type"], "message": "unknown event type", "type": "unknown"}],
            index,
        )
    try:
        data = schema.model_validate(envelope.data)
    except ValidationError as error:
        errors = _field_errors(error, (*where, "data"))
        raise CloudEventError(
            422, "invalid-event-data", _invalid(f"the data of a {envelope.type} event is invalid", errors),
            errors, index,
        ) from None
    canonical = {
        "type": envelope.type,
        "subject": envelope.subject,
        "time": None if envelope.time is None else envelope.time.isoformat(),
        "data": data.model_dump(mode="json"),
    }
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()
    return Submission(
        source=envelope.source, event_id=envelope.id, type=envelope.type, digest=digest,
        command=data.command(envelope.subject), time=envelope.time,
    )


def read_structured(body: bytes) -> Submission:
    """Structured mode: the body is one CloudEvent."""
    return to_submission(_load_json(body))


def read_batch(body: bytes) -> list[Submission]:
    """Batched mode: the body is a JSON array of CloudEvents."""
    raw = _load_json(body)
    if not isinstance(raw, list) or not raw:
        raise CloudEventError(422, "invalid-batch", "a batch must be a non-empty JSON array of CloudEvents")
    return [to_submission(item, index) for index, item in enumerate(raw)]


def read_binary(headers: Mapping[str, str], body: bytes) -> Submission:
    """Binary mode: attributes in ``ce-`` headers, the body is the data."""
    return from_attributes(
        {name[3:]: unquote(value) for name, value in headers.items() if name.lower().startswith("ce-")}, body
    )


def from_attributes(attributes: Mapping[str, str], data: bytes) -> Submission:
    """Binary mode of any transport (HTTP ``ce-`` headers, Kafka ``ce_`` headers): the context
    attributes, already read from their headers, and the data as the raw body."""
    raw: dict[str, Any] = {k.lower(): v for k, v in attributes.items()}
    raw["data"] = _load_json(data)
    return to_submission(raw)


def read_request(content_type: str, headers: Mapping[str, str], body: bytes) -> list[Submission]:
    """Dispatch on the HTTP content mode: batch, structured, or binary (``ce-specversion``)."""
    media = content_type.split(";")[0].strip().lower()
    if media == BATCH:
        return read_batch(body)
    if media == STRUCTURED:
        return [read_structured(body)]
    if "ce-specversion" in {k.lower() for k in headers}:
        if media not in (JSON, ""):
            raise CloudEventError(415, "unsupported-media-type", f"binary mode data must be {JSON}")
        return [read_binary(headers, body)]
    if media == JSON:  # a structured event sent with the plain JSON media type
        return [read_structured(body)]
    raise CloudEventError(
        415, "unsupported-media-type",
        f"send {STRUCTURED}, {BATCH}, or {JSON} with ce- headers (binary mode)",
    )


def check_times(
    submissions: Sequence[Submission], now: datetime, *, max_age: timedelta, max_skew: timedelta
) -> None:
    """Refuse the whole request (422 ``time-out-of-range``, naming the allowed range and the
    event's ``index``) when any event's ``time`` lies more than ``max_age`` before ``now`` or
    more than ``max_skew`` after it. Events without ``time`` take the time of receipt."""
    for index, submission in enumerate(submissions):
        if submission.time is None:
            continue
        try:
            check_event_time(submission.time, now, max_age=max_age, max_skew=max_skew)
        except TimeOutOfRangeError as error:
            raise CloudEventError(
                422, error.code, str(error),
                [{"location": [index, "time"], "message": str(error), "type": error.code,
                  "earliest": error.earliest.isoformat(), "latest": error.latest.isoformat()}],
                index,
            ) from None
