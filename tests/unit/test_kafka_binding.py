"""The CloudEvents Kafka binding, without a broker: what a message must look like to be read,
and what a dead letter carries."""

import json

import pytest

from adapters.cloudevents import CloudEventError
from adapters.kafka_binding import KafkaRecord, dead_letter_headers, next_offsets, read_record

DATA = {"name": "Max Mustermann", "email": "max@example.org"}
ATTRIBUTES = [(b"specversion", "1.0"), (b"id", "s-1"), (b"source", "shop"), (b"type", "customer.registered"),
              (b"subject", "hw-1001")]


def record(value: bytes | None, headers: list[tuple[str, bytes]], offset: int = 0, partition: int = 0) -> KafkaRecord:
    return KafkaRecord("journey.touchpoints", partition, offset, b"hw-1001", value, tuple(headers))


def ce_headers(prefix: str = "ce_") -> list[tuple[str, bytes]]:
    return [(f"{prefix}{name.decode()}", value.encode()) for name, value in ATTRIBUTES]


def test_binary_mode_reads_ce_headers_of_any_case_and_a_json_content_type_with_parameters() -> None:
    headers = [(n.upper(), v) for n, v in ce_headers()] + [("Content-Type", b"application/json; charset=utf-8")]
    submission = read_record(record(json.dumps(DATA).encode(), headers))
    assert (submission.source, submission.event_id, submission.type) == ("shop", "s-1", "customer.registered")


def test_structured_mode_reads_the_whole_cloudevent_from_the_value() -> None:
    event = {name.decode(): value for name, value in ATTRIBUTES} | {"data": DATA}
    submission = read_record(record(json.dumps(event).encode(), [("content-type", b"application/cloudevents+json")]))
    assert submission.event_id == "s-1"


def test_binary_and_structured_mode_read_the_same_event_alike() -> None:
    event = {name.decode(): value for name, value in ATTRIBUTES} | {"data": DATA}
    structured = read_record(record(json.dumps(event).encode(), [("content-type", b"application/cloudevents+json")]))
    binary = read_record(record(json.dumps(DATA).encode(), ce_headers()))
    assert structured == binary


@pytest.mark.parametrize(
    ("value", "headers", "code"),
    [
        (None, ce_headers(), "malformed-json"),  # a tombstone
        (b"{", ce_headers(), "malformed-json"),
        (json.dumps(DATA).encode(), [*ce_headers(), ("content-type", b"text/plain")], "unsupported-media-type"),
        (json.dumps(DATA).encode(), ce_headers("ce-"), "unsupported-media-type"),  # HTTP's prefix, not Kafka's
        (json.dumps(DATA).encode(), [*ce_headers(), ("ce_subject", b"\xff")], "malformed-header"),
        (json.dumps(DATA).encode(), [*ce_headers()[1:], ("ce_specversion", b"0.3")], "invalid-cloudevent"),
    ],
)
def test_a_message_that_is_not_an_acceptable_cloudevent_is_refused_with_the_code_post_events_uses(
    value: bytes | None, headers: list[tuple[str, bytes]], code: str
) -> None:
    with pytest.raises(CloudEventError) as refused:
        read_record(record(value, headers))
    assert refused.value.code == code


def test_a_dead_letter_keeps_the_original_headers_and_names_the_error_and_where_it_was_read() -> None:
    original = record(b"x", [("trace", b"\x00")], offset=41, partition=3)
    assert dead_letter_headers(original, "malformed-json", "the body is not valid JSON") == [
        ("trace", b"\x00"),
        ("journey_error_code", b"malformed-json"),
        ("journey_error_detail", b"the body is not valid JSON"),
        ("journey_original_topic", b"journey.touchpoints"),
        ("journey_original_partition", b"3"),
        ("journey_original_offset", b"41"),
    ]


def test_the_offsets_to_commit_are_the_next_after_each_partitions_last_message() -> None:
    records = [record(b"", [], offset=o, partition=p) for p, o in ((0, 4), (1, 9), (0, 5), (1, 10))]
    assert next_offsets(records) == {("journey.touchpoints", 0): 6, ("journey.touchpoints", 1): 11}
