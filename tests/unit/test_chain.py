"""The hash chain's arithmetic and its walk, without a database."""

from __future__ import annotations

import hashlib
from uuid import UUID

from domain.chain import ZERO, canonical, extend, next_hash, walk

ID = UUID("12345678123456781234567812345678")


def events(n: int) -> list[tuple[int, bytes]]:
    return [(p, canonical(ID, p, "topic", f"state {p}".encode())) for p in range(1, n + 1)]


def kinds(result) -> list[tuple[int, int, str]]:
    return [(f.first, f.last, f.kind) for f in result.findings]


def test_the_encoding_tells_apart_values_that_concatenate_alike():
    assert canonical("ab", 1, "c", b"") != canonical("a", 1, "bc", b"")
    assert canonical(ID, 1, "t", b"x") == canonical(ID.hex, 1, "t", b"x")  # a uuid as SQLite stores it
    assert canonical(ID.hex, 1, "t", b"x") != canonical(ID.hex, "1", "t", b"x")  # a version stored as text
    assert canonical(ID.hex, 1, None, b"") != canonical(ID.hex, 1, "", b"")
    assert canonical(ID, 1, "t", b"x") == canonical(ID, 1, "t", bytearray(b"x"))  # the usual row's shortcut


def test_each_hash_covers_its_predecessor_and_the_first_follows_32_zero_bytes():
    data = events(2)
    links = extend(ZERO, data)
    assert links[0] == (1, hashlib.sha256(bytes(32) + data[0][1]).digest())
    assert links[1] == (2, next_hash(links[0][1], data[1][1]))


def test_an_intact_chain_walks_clean_and_keeps_the_hash_at_a_position():
    data = events(5)
    links = extend(ZERO, data)
    result = walk(data, links, at=3)
    assert result.found == 0 and result.checked == 5 and result.head == links[-1]
    assert result.hash_at == links[2][1]


def test_an_altered_event_and_an_altered_hash_are_told_apart():
    data, links = events(6), extend(ZERO, events(6))
    data[1] = (2, canonical(ID, 2, "topic", b"changed"))
    links[3] = (4, bytes(32))
    assert kinds(walk(data, links)) == [(2, 2, "event-altered"), (4, 4, "link-altered")]


def test_a_deleted_event_is_named_and_the_rest_still_chains():
    data, links = events(6), extend(ZERO, events(6))
    del data[2]
    assert kinds(walk(data, links)) == [(3, 3, "deleted")]


def test_an_event_inserted_between_two_positions_is_named():
    data = [(p * 2, d) for p, d in events(4)]  # positions 2, 4, 6, 8 (gaps, as on PostgreSQL)
    links = extend(ZERO, data)
    data.insert(2, (5, canonical(ID, 9, "topic", b"forged")))
    assert kinds(walk(data, links)) == [(5, 5, "unchained")]


def test_a_run_of_unchained_events_is_one_finding():
    data = events(5)
    links = extend(ZERO, data[:2])
    assert kinds(walk(data, links)) == [(3, 5, "unchained")]


def test_the_last_position_altered_is_named_though_it_cannot_be_told_which_half_changed():
    data, links = events(3), extend(ZERO, events(3))
    data[2] = (3, canonical(ID, 3, "topic", b"changed"))
    assert kinds(walk(data, links)) == [(3, 3, "altered")]
