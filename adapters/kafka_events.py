"""The shared stream on Kafka: how ``journey relay`` writes ``journey.events`` and
``journey.customers``, and how a Kafka-fed projector reads them back.

``journey.events`` carries every stored event as a CloudEvent in binary mode (Kafka protocol
binding): ``ce_`` headers, the value is the event's data as JSON without personal data
(``domain.personal``). The key is the customer id, so a customer's events keep their order in
one partition. Two more headers make the topic safe to consume exactly once:

* ``journey_position``: the event's position in the stream (its notification id);
* ``journey_previous``: the position of the previous event the relay wrote to the same
  partition (0 for the first). A consumer that has applied every event of the partition up to
  ``journey_previous`` knows nothing is missing before this message.

After every batch the relay writes a watermark (CloudEvent type ``journey.watermark``, no key)
to every partition: "this partition holds every event up to this position". Consumers that do
not know the type ignore it.

``journey.customers`` is compacted: key the customer id, value the customer's current profile
(personal data) as JSON; erasing a person can end with a tombstone (a null value) there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from kafka.partitioner.default import murmur2

from adapters.kafka_binding import KafkaRecord
from adapters.kafka_touchpoints import KafkaOptions
from domain.personal import ENVELOPE_FIELDS, PERSONAL_FIELDS
from projections.encoding import jsonable

SOURCE = "/journey"
WATERMARK = "journey.watermark"
POSITION = "journey_position"
PREVIOUS = "journey_previous"
#: What a customer's profile on the customers topic holds.
PROFILE_FIELDS = ("customer_id", "name", "email", "birthday", "phone", "address")
_ENVELOPE = ENVELOPE_FIELDS | {"by"}  # the acting department is written apart, without the user
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass(frozen=True)
class Message:
    """One message to send: topic, partition, key, value and headers."""

    topic: str
    partition: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class Relayed:
    """What a consumer needs of a ``journey.events`` message: an event's or a watermark's
    position, the partition's previous event position, and the CloudEvent id."""

    kind: str  # "event" or "watermark"
    position: int
    previous: int
    ce_id: str


def ce_type(event: Any) -> str:
    """``Invoice.PaymentReceived`` is ``journey.invoice.payment_received``,
    ``ContactBook.ConsentGiven`` ``journey.contact_book.consent_given``."""
    aggregate, _, name = type(event).__qualname__.partition(".")
    return f"journey.{_snake(aggregate)}.{_snake(name)}"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def ce_id(event: Any) -> str:
    """A stable id: the aggregate's id and the event's version in it."""
    return f"{event.originator_id.hex}.{event.originator_version}"


def public_data(event: Any) -> dict[str, Any]:
    """The event's fields without personal data, and the acting department (not the user)."""
    data = {
        name: jsonable(value)
        for name, value in vars(event).items()
        if name not in _ENVELOPE and name not in PERSONAL_FIELDS
    }
    by = event.by
    data["by"] = {"department": by.department.value, "source": by.source, "event_id": by.event_id}
    return data


def partition_for(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as in the Java client) picks."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def _headers(ce: Mapping[str, str], position: int, previous: int) -> tuple[tuple[str, bytes], ...]:
    return (
        ("ce_specversion", b"1.0"),
        *((f"ce_{name}", value.encode()) for name, value in ce.items()),
        ("content-type", b"application/json"),
        (POSITION, str(position).encode()),
        (PREVIOUS, str(previous).encode()),
    )


def event_message(  # noqa: PLR0913 -- one message, every part named
    topic: str, event: Any, position: int, customer_id: str, partition: int, previous: int
) -> Message:
    """``event`` at ``position`` as a binary-mode CloudEvent keyed by ``customer_id``."""
    ce = {"id": ce_id(event), "source": SOURCE, "type": ce_type(event), "subject": customer_id,
          "time": event.timestamp.isoformat()}
    return Message(topic, partition, customer_id.encode(), _dumps(public_data(event)).encode(),
                   _headers(ce, position, previous))


def watermark_message(topic: str, position: int, partition: int, previous: int) -> Message:
    """A watermark: ``partition`` holds every event up to ``position``."""
    ce = {"id": f"watermark.{position}.{partition}", "source": SOURCE, "type": WATERMARK}
    return Message(topic, partition, None, _dumps({"position": position}).encode(), _headers(ce, position, previous))


def profile_message(topic: str, customer_id: str, profile: Mapping[str, Any] | None, position: int, partition: int) -> Message:
    """The customer's current profile (or a tombstone when ``profile`` is None) for the
    compacted customers topic."""
    value = None if profile is None else _dumps({k: jsonable(v) for k, v in profile.items()}).encode()
    headers = (("content-type", b"application/json"), (POSITION, str(position).encode()))
    return Message(topic, partition, customer_id.encode(), value, headers)


def read_relayed(record: KafkaRecord) -> Relayed | None:
    """The position headers of a ``journey.events`` message; None when it has none (a message
    the relay did not write)."""
    headers = {name: value or b"" for name, value in record.headers}
    try:
        position = int(headers[POSITION])
        previous = int(headers.get(PREVIOUS, b"0"))
    except (KeyError, ValueError):
        return None
    kind = "watermark" if headers.get("ce_type") == WATERMARK.encode() else "event"
    return Relayed(kind, position, previous, headers.get("ce_id", b"").decode(errors="replace"))


class StreamProducer:
    """Sends messages to explicit partitions and waits for every acknowledgement. Idempotent
    and ``acks=all``, so a partition's messages keep their order and a retry inside the client
    writes nothing twice."""

    def __init__(self, options: KafkaOptions) -> None:
        self._producer = KafkaProducer(
            bootstrap_servers=options.bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
            batch_size=256 * 1024, request_timeout_ms=options.request_timeout_ms,
        )

    def partitions(self, topic: str) -> int:
        """How many partitions ``topic`` has (waits for the broker's metadata)."""
        found = self._producer.partitions_for(topic)
        if not found:
            raise LookupError(f"topic {topic} has no partitions")
        return len(found)

    def send_all(self, messages: Sequence[Message], timeout: float) -> dict[tuple[str, int], tuple[int, int]]:
        """Send ``messages`` in order and wait until the broker acknowledged every one; raises
        the first failure. Returns per (topic, partition) the lowest and the highest offset
        acknowledged."""
        futures = [
            self._producer.send(m.topic, key=m.key, value=m.value, headers=list(m.headers), partition=m.partition)
            for m in messages
        ]
        self._producer.flush(timeout)
        offsets: dict[tuple[str, int], tuple[int, int]] = {}
        for future in futures:
            meta = future.get(timeout)
            low, high = offsets.get((meta.topic, meta.partition), (meta.offset, meta.offset))
            offsets[(meta.topic, meta.partition)] = (min(low, meta.offset), max(high, meta.offset))
        return offsets

    def close(self) -> None:
        self._producer.close(timeout=5)
