"""The hash chain over the stream, as pure arithmetic (stdlib ``hashlib`` only, no I/O).

Each stored event is hashed with its predecessor's hash: ``hash(n) = SHA-256(hash(n-1) ||
canonical(event n))``, ``hash(0)`` being 32 zero bytes. ``canonical`` is an unambiguous
encoding of exactly what the events table holds for the row: the originator id, version, topic
and state bytes as stored (the state after whatever transcoding, compression or encryption
produced it), each as a type tag, an 8-byte length and the payload. A uuid is encoded as the hex
text SQLite stores, so one stream hashes the same on both databases.

Kept here, apart from the adapters that read and write the chain table, so that the writer, the
verifying walk and the unit tests share one definition of what is hashed; the walk (``walk``)
is pure too: it is fed the two sequences (stored events and chain links) in position order.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

#: The hash "before" the first event.
ZERO = bytes(32)
#: How many findings a walk keeps in detail (it still counts them all).
KEPT_FINDINGS = 20


def _text(value: str) -> bytes:
    payload = value.encode("utf-8", "surrogatepass")
    return b"s" + len(payload).to_bytes(8, "big") + payload


def _bytes(value: bytes | bytearray | memoryview) -> bytes:
    payload = bytes(value)
    return b"b" + len(payload).to_bytes(8, "big") + payload


_ENCODE: dict[type, Callable[[Any], bytes]] = {
    str: _text,
    bytes: _bytes, bytearray: _bytes, memoryview: _bytes,
    int: lambda value: b"i\x00\x00\x00\x00\x00\x00\x00\x08" + value.to_bytes(8, "big", signed=True),
    UUID: lambda value: _text(value.hex),
    type(None): lambda _: b"n" + bytes(8),
    float: lambda value: _text(repr(value)).replace(b"s", b"f", 1),
}


def _field(value: object) -> bytes:
    """A type tag, an 8-byte big-endian length and the payload (an int: 8 bytes, signed)."""
    encode = _ENCODE.get(type(value))
    if encode is None:
        raise TypeError(f"cannot hash a stored {type(value).__name__}")
    return encode(value)


_HEAD = struct.Struct(">cQ").pack  # a tag and a length
_INT = struct.Struct(">cQq").pack  # a tag, the length 8 and the value


def canonical(originator_id: object, originator_version: object, topic: object, state: object) -> bytes:
    """The bytes hashed for one stored event: its four columns, as stored, length-prefixed."""
    if type(originator_version) is int and type(topic) is str and type(state) is bytes:  # the usual row, faster
        if type(originator_id) is UUID:
            originator_id = originator_id.hex
        if type(originator_id) is str:
            oid, name = originator_id.encode("utf-8", "surrogatepass"), topic.encode("utf-8", "surrogatepass")
            return b"".join((_HEAD(b"s", len(oid)), oid, _INT(b"i", 8, originator_version),
                             _HEAD(b"s", len(name)), name, _HEAD(b"b", len(state)), state))
    return b"".join(map(_field, (originator_id, originator_version, topic, state)))



def next_hash(previous: bytes, canonical_bytes: bytes) -> bytes:
    """The chain hash of an event whose predecessor's hash is ``previous``."""
    return hashlib.sha256(previous + canonical_bytes).digest()


def extend(previous: bytes, events: Iterable[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """``(position, hash)`` for each ``(position, canonical bytes)`` in order, after ``previous``."""
    links = []
    for position, data in events:
        previous = next_hash(previous, data)
        links.append((position, previous))
    return links


@dataclass(frozen=True)
class Finding:
    """Positions ``first``..``last`` that do not match, for one reason (``kind``)."""

    first: int
    last: int
    kind: str

    def describe(self) -> str:
        where = f"position {self.first}" if self.first == self.last else f"positions {self.first}..{self.last}"
        return f"{where}: {REASONS[self.kind]}"


REASONS = {
    "event-altered": "the stored event differs from the one chained (altered or replaced)",
    "link-altered": "the chain's hash was altered (the event still matches)",
    "altered": "the stored event or its chain hash was altered",
    "deleted": "a chained event is missing (deleted)",
    "unchained": "an event without a chain hash (inserted directly, or stored before the chain was sealed)",
}


@dataclass
class Walk:
    """What a walk over the stream found: events hashed, findings (the first ``KEPT_FINDINGS``
    of ``found``), the recomputed head, and the hash at ``at`` recomputed from the events alone."""

    checked: int = 0
    found: int = 0
    findings: list[Finding] = field(default_factory=list)
    head: tuple[int, bytes] | None = None
    at: int | None = None
    hash_at: bytes | None = None

    @property
    def first_bad_position(self) -> int | None:
        return self.findings[0].first if self.findings else None

    def add(self, position: int, kind: str) -> None:
        """Record a finding at ``position``."""
        last = self.findings[-1] if self.findings else None
        if last is not None and last.kind == kind == "unchained" and last.last < position:
            self.findings[-1] = Finding(last.first, position, kind)  # a run collapses into one finding
            return
        self.found += 1
        if len(self.findings) < KEPT_FINDINGS:
            self.findings.append(Finding(position, position, kind))


def _merged(events: Iterable[tuple[int, bytes]], links: Iterable[tuple[int, bytes]]
            ) -> Iterator[tuple[int, bytes | None, bytes | None]]:
    """``(position, canonical bytes or None, stored hash or None)`` over both sequences."""
    e_iter, l_iter = iter(events), iter(links)
    event, link = next(e_iter, None), next(l_iter, None)
    while event is not None or link is not None:
        if link is None or (event is not None and event[0] < link[0]):
            assert event is not None
            yield event[0], event[1], None
            event = next(e_iter, None)
        elif event is None or link[0] < event[0]:
            yield link[0], None, link[1]
            link = next(l_iter, None)
        else:
            yield event[0], event[1], link[1]
            event, link = next(e_iter, None), next(l_iter, None)


def walk(events: Iterable[tuple[int, bytes]], links: Iterable[tuple[int, bytes]], at: int | None = None) -> Walk:
    """Recompute the chain over ``events`` (``(position, canonical bytes)``) and compare it with
    the stored ``links`` (``(position, hash)``), both in position order.

    After a mismatch the walk continues from the stored hash, so each alteration is reported
    once: a changed event, a changed chain hash (told apart by whether the next hash chains
    from the stored or the recomputed one), a missing event, an event without a chain hash.
    """
    result = Walk(at=at)
    expect = pure = ZERO  # the predecessor of the next link; the hash over the events alone
    pending: tuple[int, bytes, bytes] | None = None  # an unexplained mismatch: position, recomputed, stored
    for position, data, stored in _merged(events, links):
        if pending is not None and (data is None or stored is None):
            result.add(pending[0], "altered")
            pending = None
        if data is None:
            assert stored is not None
            result.add(position, "deleted")
            expect = stored
            continue
        result.checked += 1
        in_step, pure = expect == pure, next_hash(pure, data)
        if position == at:
            result.hash_at = pure
        if stored is None:
            result.add(position, "unchained")
            continue
        computed = pure if in_step else next_hash(expect, data)
        if pending is not None:
            if computed == stored:  # the chain goes on from the recomputed hash: its link was changed
                result.add(pending[0], "link-altered")
            elif next_hash(pending[2], data) == stored:  # it goes on from the stored one: the event was
                result.add(pending[0], "event-altered")
                computed = stored
            else:
                result.add(pending[0], "altered")
            pending = None
        if computed != stored:
            pending = (position, computed, stored)
        expect = computed
        result.head = (position, computed)
    if pending is not None:
        result.add(pending[0], "altered")
    return result
