"""The journey service: the application whose notification log is the shared stream, and the
use cases that write to it through the process's group writer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from adapters.cloudevents import Submission
from adapters.event_store import StoreLocation
from adapters.transcodings import register_journey_transcodings
from adapters.writer_lock import writer_lock
from domain.commands import Command
from domain.holds import DunningPolicy
from domain.values import Department, Principal
from services.clock import Clock
from services.handlers import Context
from services.requests import (
    Accepted,
    ConflictError,
    Execute,
    IdempotencyKey,
    IdempotencyKeyReusedError,
    Ingest,
    RejectedError,
    Written,
)
from services.unit_of_work import UnitOfWork
from services.writer import ContentionError, Group, GroupWriter, WriteRequest

__all__ = [
    "Accepted", "ConflictError", "ContentionError", "IdempotencyKey", "IdempotencyKeyReusedError",
    "JourneyApplication", "JourneyService", "RejectedError", "Submission", "Written",
]


class JourneyApplication(Application[UUID]):
    """The eventsourcing application whose notification log is the shared journey stream."""

    name = "journey"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_journey_transcodings(transcoder)


def _prepare(uow: UnitOfWork, requests: Sequence[WriteRequest], group: Group) -> None:
    """Before deciding a group: one query per scope for its stored idempotency keys, one for
    which of the aggregates it would create exist already."""
    by_scope: dict[str, list[str]] = {}
    for request in requests:
        for scope, key in request.prefetch():
            by_scope.setdefault(scope, []).append(key)
    for scope, keys in by_scope.items():
        group.stored_keys |= {(scope, k): v for k, v in uow.store.stored_keys(scope, keys).items()}
    created = {i for request in requests for i in request.creates()}
    if created:
        uow.know_absent(created - uow.store.stored_ids(created))


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
            Execute(command, by, lambda: Context(self.clock.now(), by, self.policy), idempotency)
        )

    def _ingest(self, submissions: Sequence[Submission], user: str | None = None) -> Future[list[Accepted]]:
        def context(sub: Submission) -> Context:
            by = Principal(Department.INTEGRATOR, user=user, source=sub.source, event_id=sub.event_id)
            return Context(sub.time or self.clock.now(), by, self.policy)

        return self.writer.submit(Ingest(submissions, context))

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

    async def ingest_async(self, submissions: Sequence[Submission], user: str | None = None) -> list[Accepted]:
        """``ingest`` for the event loop: waits for the writer without holding a thread. ``user``
        names the credential that published them (recorded beside source and CloudEvent id)."""
        return await asyncio.wait_for(asyncio.wrap_future(self._ingest(submissions, user)), self.write_timeout)

    def close(self) -> None:
        self.writer.close()
        self.app.close()
