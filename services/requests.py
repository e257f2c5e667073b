"""The writes the group writer decides: a batch of CloudEvents, a department command. Each is
decided in the group's unit of work and answered once the group is stored.

Every write carries an idempotency key stored with its events: a CloudEvent its (``source``,
``id``), a command its ``Idempotency-Key`` or, without one, a key of its own. So a write that is
decided again (after its commit's acknowledgement was lost, say) is found stored and answered
with its original result instead of being applied twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

from adapters.cloudevents import Submission
from adapters.write_store import KeyRecord
from domain.commands import Command
from domain.errors import DomainError
from domain.values import Principal
from services.handlers import Context, answer_of, created_id, handle
from services.unit_of_work import UnitOfWork
from services.writer import Group, Positions

#: Scopes of idempotency keys: CloudEvents use ``cloudevent:<source>``, a department's
#: Idempotency-Key ``command:<department>:<user>``, a command sent without one ``request``.
COMMAND_SCOPE = "command"
REQUEST_SCOPE = "request"


class ConflictError(Exception):
    """The write collides with what is stored: a CloudEvent id received with other content."""

    def __init__(self, code: str, detail: str, index: int | None = None) -> None:
        self.code = code
        self.index = index
        super().__init__(detail)


class IdempotencyKeyReusedError(Exception):
    """An Idempotency-Key sent again with another request; nothing is stored."""


class RejectedError(Exception):
    """A touchpoint of a submission broke a domain rule; nothing of the submission is stored."""

    def __init__(self, index: int, error: DomainError) -> None:
        self.index = index
        self.error = error
        super().__init__(str(error))


@dataclass(frozen=True)
class Accepted:
    """One submission's outcome: the position of the last event it recorded."""

    position: int
    duplicate: bool = False


@dataclass(frozen=True)
class Written:
    """A department command's result: the position of its last event (a read at this position
    reflects the whole command), what the department is told (``answer``), and whether it was
    a retry answered from its Idempotency-Key."""

    position: int
    answer: dict[str, Any]
    duplicate: bool = False


@dataclass(frozen=True)
class IdempotencyKey:
    """A department's ``Idempotency-Key`` and the digest of the request it was sent with."""

    key: str
    digest: str


@dataclass(frozen=True)
class _Seen:
    """An idempotency key met before: in this group (pending) or in the store."""

    digest: str
    result: str
    position: Callable[[Positions], int]


def _seen(uow: UnitOfWork, group: Group, scope_key: tuple[str, str]) -> _Seen | None:
    earlier = uow.keys.get(scope_key)
    if earlier is not None:
        at = (earlier.originator_id, earlier.originator_version)
        return _Seen(earlier.digest, earlier.result, lambda p: p[at])
    stored = group.stored_keys.get(scope_key)
    if stored is not None:
        position = stored.position
        return _Seen(stored.digest, stored.result, lambda _: position)
    return None


def _keep(uow: UnitOfWork, scope_key: tuple[str, str], digest: str, events: list[Any], result: str = "{}") -> list[tuple[UUID, int]]:
    """Keep the write's key with its last event; returns the keys of all its events."""
    last = events[-1]
    uow.keep_key(KeyRecord(*scope_key, digest, last.originator_id, last.originator_version, result))
    return [(e.originator_id, e.originator_version) for e in events]


def _cloudevent_key(sub: Submission) -> tuple[str, str]:
    """A CloudEvent's idempotency key: its ``id`` in the scope of its ``source``."""
    return (f"cloudevent:{sub.source}", sub.event_id)


def _replayed(seen: _Seen, positions: Positions) -> Accepted:
    return Accepted(seen.position(positions), duplicate=True)


def _stored(keys: list[tuple[UUID, int]], positions: Positions) -> Accepted:
    return Accepted(max(positions[k] for k in keys))


@dataclass
class Ingest:
    """A batch of CloudEvents: stored whole or not at all, each at most once."""

    submissions: Sequence[Submission]
    context: Callable[[Submission], Context]

    @property
    def size(self) -> int:
        return len(self.submissions)

    def prefetch(self) -> list[tuple[str, str]]:
        return [_cloudevent_key(s) for s in self.submissions]

    def creates(self) -> list[UUID]:
        return [i for s in self.submissions if (i := created_id(s.command)) is not None]

    def decide(self, uow: UnitOfWork, group: Group) -> Callable[[Positions], list[Accepted]]:
        answers: list[Callable[[Positions], Accepted]] = []
        for index, sub in enumerate(self.submissions):
            scope_key = _cloudevent_key(sub)
            seen = _seen(uow, group, scope_key)  # sent before: in this batch, this group, or stored
            if seen is not None:
                if seen.digest != sub.digest:
                    raise ConflictError(
                        "idempotency-conflict",
                        f"event {sub.event_id!r} from {sub.source!r} was already received with other content",
                        index,
                    )
                answers.append(partial(_replayed, seen))
                continue
            try:
                events = handle(sub.command, uow, self.context(sub))
            except DomainError as error:
                raise RejectedError(index, error) from None
            answers.append(partial(_stored, _keep(uow, scope_key, sub.digest, events)))
        return lambda positions: [answer(positions) for answer in answers]


@dataclass
class Execute:
    """One department command, under the department's Idempotency-Key or a key of its own."""

    command: Command
    by: Principal
    context: Callable[[], Context]
    idempotency: IdempotencyKey | None = None
    own_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    decided: bool = False

    size = 1

    @property
    def scope_key(self) -> tuple[str, str]:
        if self.idempotency is None:
            return (REQUEST_SCOPE, self.own_key)
        return (f"{COMMAND_SCOPE}:{self.by.department}:{self.by.user or ''}", self.idempotency.key)

    @property
    def digest(self) -> str:
        return "" if self.idempotency is None else self.idempotency.digest

    def prefetch(self) -> list[tuple[str, str]]:
        # A key of its own can be stored only if this request was decided before (a retried
        # group, say after a lost commit acknowledgement); a first decision need not look.
        return [self.scope_key] if self.idempotency is not None or self.decided else []

    def creates(self) -> list[UUID]:
        return []

    def decide(self, uow: UnitOfWork, group: Group) -> Callable[[Positions], Written]:
        self.decided = True
        seen = _seen(uow, group, self.scope_key)
        if seen is not None:
            if seen.digest != self.digest:
                raise IdempotencyKeyReusedError(f"Idempotency-Key {self.scope_key[1]!r} was used for another request")
            replayed = json.loads(seen.result)
            return lambda p: Written(seen.position(p), replayed, duplicate=self.idempotency is not None)
        events = handle(self.command, uow, self.context())
        answer = answer_of(self.command, events)
        keys = _keep(uow, self.scope_key, self.digest, events, json.dumps(answer))
        return lambda p: Written(max(p[k] for k in keys), answer)
