"""The journey application: one event store, one stream, every touchpoint an event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from adapters.cloudevents import Submission
from adapters.event_store import StoreLocation
from adapters.transcodings import register_journey_transcodings
from adapters.write_store import KeyRecord
from adapters.writer_lock import writer_lock
from domain.commands import Command
from domain.errors import DomainError
from domain.holds import DunningPolicy
from domain.values import Department, Principal
from services.clock import Clock
from services.handlers import Context, answer_of, created_id, handle
from services.unit_of_work import UnitOfWork
from services.writer import ContentionError, Group, GroupWriter, Positions, Request

__all__ = [
    "Accepted", "ConflictError", "ContentionError", "IdempotencyKey", "IdempotencyKeyReusedError",
    "JourneyApplication", "JourneyService", "RejectedError", "Submission", "Written",
]

#: The scope of department commands' Idempotency-Keys; CloudEvents use ``cloudevent:<source>``.
COMMAND_SCOPE = "command"


def _key(event: Any) -> tuple[UUID, int]:
    return (event.originator_id, event.originator_version)


class JourneyApplication(Application[UUID]):
    """The eventsourcing application whose notification log is the shared journey stream."""

    name = "journey"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_journey_transcodings(transcoder)


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


def _scope(sub: Submission) -> str:
    return f"cloudevent:{sub.source}"


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


def _replayed(seen: _Seen, positions: Positions) -> Accepted:
    return Accepted(seen.position(positions), duplicate=True)


def _stored(keys: list[tuple[UUID, int]], positions: Positions) -> Accepted:
    return Accepted(max(positions[k] for k in keys))


@dataclass
class _Ingest:
    """A batch of CloudEvents: stored whole or not at all, each at most once."""

    submissions: Sequence[Submission]
    context: Callable[[Submission], Context]

    @property
    def size(self) -> int:
        return len(self.submissions)

    def prefetch(self) -> list[tuple[str, str]]:
        return [(_scope(s), s.event_id) for s in self.submissions]

    def decide(self, uow: UnitOfWork, group: Group) -> Callable[[Positions], list[Accepted]]:
        answers: list[Callable[[Positions], Accepted]] = []
        for index, sub in enumerate(self.submissions):
            scope_key = (_scope(sub), sub.event_id)
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
            last = events[-1]
            uow.keep_key(KeyRecord(scope_key[0], sub.event_id, sub.digest, last.originator_id, last.originator_version))
            keys = [_key(e) for e in events]
            answers.append(partial(_stored, keys))
        return lambda positions: [answer(positions) for answer in answers]


@dataclass
class _Execute:
    """One department command, optionally under an Idempotency-Key."""

    command: Command
    context: Callable[[], Context]
    idempotency: IdempotencyKey | None = None
    size: int = 1

    def prefetch(self) -> list[tuple[str, str]]:
        return [] if self.idempotency is None else [(COMMAND_SCOPE, self.idempotency.key)]

    def decide(self, uow: UnitOfWork, group: Group) -> Callable[[Positions], Written]:
        idem = self.idempotency
        if idem is not None:
            seen = _seen(uow, group, (COMMAND_SCOPE, idem.key))
            if seen is not None:
                if seen.digest != idem.digest:
                    raise IdempotencyKeyReusedError(
                        f"Idempotency-Key {idem.key!r} was used for another request"
                    )
                replayed = json.loads(seen.result)
                return lambda p: Written(seen.position(p), replayed, duplicate=True)
        events = handle(self.command, uow, self.context())
        answer = answer_of(self.command, events)
        if idem is not None:
            last = events[-1]
            uow.keep_key(KeyRecord(
                COMMAND_SCOPE, idem.key, idem.digest, last.originator_id, last.originator_version,
                json.dumps(answer),
            ))
        keys = [_key(e) for e in events]
        return lambda p: Written(max(p[k] for k in keys), answer)


def _prepare(uow: UnitOfWork, requests: Sequence[Request], group: Group) -> None:
    """Before deciding a group: one query per scope for its stored idempotency keys, one for
    which of the aggregates it would create exist already."""
    by_scope: dict[str, list[str]] = {}
    for request in requests:
        for scope, key in request.prefetch():
            by_scope.setdefault(scope, []).append(key)
    store = uow.store
    for scope, keys in by_scope.items():
        group.stored_keys |= {(scope, k): v for k, v in store.stored_keys(scope, keys).items()}
    created = {
        i for r in requests if isinstance(r, _Ingest) for s in r.submissions
        if (i := created_id(s.command)) is not None
    }
    if created:
        uow.know_absent(created - store.stored_ids(created))


class JourneyService:
    """Use cases over the journey application. Every write goes through the process's group
    writer, so a decision (a dunning step) is checked against exactly the history it is
    appended after, whichever process writes."""

    def __init__(
        self,
        location: StoreLocation,
        clock: Clock,
        policy: DunningPolicy | None = None,
        *,
        lock_timeout: float = 10.0,
        write_timeout: float = 30.0,
        max_group: int = 5000,
    ) -> None:
        self.app = JourneyApplication(env=location.env)
        self.clock = clock
        self.policy = policy or DunningPolicy()
        self.write_timeout = write_timeout
        self._listeners: list[Callable[[], None]] = []
        self.writer = GroupWriter(
            self.app, writer_lock(location, lock_timeout),
            prepare=_prepare, on_written=self._written, max_group=max_group,
        )

    def on_written(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every successful write (wakes an in-process projector)."""
        self._listeners.append(listener)

    def _written(self) -> None:
        for listener in self._listeners:
            listener()

    def head(self) -> int:
        """The position of the newest event in the stream (0 when it is empty)."""
        return self.app.recorder.max_notification_id() or 0

    def _command(self, command: Command, by: Principal, idempotency: IdempotencyKey | None) -> Future[Written]:
        return self.writer.submit(
            _Execute(command, lambda: Context(self.clock.now(), by, self.policy), idempotency)
        )

    def _ingest(self, submissions: Sequence[Submission]) -> Future[list[Accepted]]:
        def context(sub: Submission) -> Context:
            by = Principal(Department.INTEGRATOR, source=sub.source, event_id=sub.event_id)
            return Context(sub.time or self.clock.now(), by, self.policy)

        return self.writer.submit(_Ingest(submissions, context))

    def execute(self, command: Command, by: Principal, idempotency: IdempotencyKey | None = None) -> Written:
        """Carry out one department command; raises DomainError when a rule refuses it."""
        return self._command(command, by, idempotency).result(self.write_timeout)

    def ingest(self, submissions: Sequence[Submission]) -> list[Accepted]:
        """Store a batch of integrator touchpoints atomically, in order, each at most once.

        A retry (same source and id, same content) answers the original position and stores
        nothing; the same source and id with other content is a ConflictError.
        """
        return self._ingest(submissions).result(self.write_timeout)

    async def execute_async(
        self, command: Command, by: Principal, idempotency: IdempotencyKey | None = None
    ) -> Written:
        """``execute`` for the event loop: waits for the writer without holding a thread."""
        return await asyncio.wait_for(asyncio.wrap_future(self._command(command, by, idempotency)), self.write_timeout)

    async def ingest_async(self, submissions: Sequence[Submission]) -> list[Accepted]:
        """``ingest`` for the event loop: waits for the writer without holding a thread."""
        return await asyncio.wait_for(asyncio.wrap_future(self._ingest(submissions)), self.write_timeout)

    def close(self) -> None:
        self.writer.close()
        self.app.close()
