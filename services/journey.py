"""The journey application: one event store, one stream, every touchpoint an event."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from adapters.cloudevents import Submission
from adapters.event_store import StoreLocation, position_of, stored_ids
from adapters.transcodings import register_journey_transcodings
from domain.commands import Command
from domain.errors import DomainError
from domain.holds import DunningPolicy
from domain.receipt import Receipt
from domain.values import Department, Principal
from services.clock import Clock
from services.handlers import Context, created_id, handle
from services.unit_of_work import UnitOfWork

__all__ = ["Accepted", "ConflictError", "JourneyApplication", "JourneyService", "RejectedError", "Submission", "Written"]


def _key(event: Any) -> tuple[UUID, int]:
    return (event.originator_id, event.originator_version)


class JourneyApplication(Application[UUID]):
    """The eventsourcing application whose notification log is the shared journey stream."""

    name = "journey"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_journey_transcodings(transcoder)


class ConflictError(Exception):
    """The write collides with what is stored (an idempotency key reused, a concurrent write)."""

    def __init__(self, code: str, detail: str, index: int | None = None) -> None:
        self.code = code
        self.index = index
        super().__init__(detail)


class RejectedError(Exception):
    """A touchpoint of a submission broke a domain rule; nothing of the submission is stored."""

    def __init__(self, index: int, error: DomainError) -> None:
        self.index = index
        self.error = error
        super().__init__(str(error))


@dataclass(frozen=True)
class Accepted:
    """One submission's outcome: the position of the last event it recorded (its receipt)."""

    position: int
    duplicate: bool = False


@dataclass(frozen=True)
class Written:
    """A department command's result: the position of its last event (a read at this position
    reflects the whole command) and its new events."""

    position: int
    events: Sequence[Any]


class JourneyService:
    """Use cases over the journey application. Writes are serialised in this process so that a
    decision (a dunning step) is checked against exactly the history it is appended after."""

    def __init__(
        self, location: StoreLocation, clock: Clock, policy: DunningPolicy | None = None
    ) -> None:
        self.app = JourneyApplication(env=location.env)
        self.clock = clock
        self.policy = policy or DunningPolicy()
        self._write_lock = threading.Lock()
        self._listeners: list[Any] = []

    def on_written(self, listener: Any) -> None:
        """Call ``listener()`` after every successful write (wakes an in-process projector)."""
        self._listeners.append(listener)

    def head(self) -> int:
        """The position of the newest event in the stream (0 when it is empty)."""
        return self.app.recorder.max_notification_id() or 0

    def execute(self, command: Command, by: Principal) -> Written:
        """Carry out one department command; raises DomainError when a rule refuses it."""
        with self._write_lock:
            uow = UnitOfWork(self.app)
            events = handle(command, uow, Context(self.clock.now(), by, self.policy))
            positions = self._save(uow)
        return Written(max(positions[_key(e)] for e in events), events)

    def ingest(self, submissions: Sequence[Submission]) -> list[Accepted]:
        """Store a batch of integrator touchpoints atomically, in order, each at most once.

        A retry (same source and id, same content) answers the original position and stores
        nothing; the same source and id with other content is a ConflictError.
        """
        with self._write_lock:
            uow = UnitOfWork(self.app)
            candidates = {Receipt.create_id(s.source, s.event_id) for s in submissions}
            candidates |= {i for s in submissions if (i := created_id(s.command)) is not None}
            uow.know_absent(candidates - stored_ids(self.app.recorder, candidates))
            refs: list[tuple[str, Any]] = []
            first_of: dict[tuple[str, str], tuple[int, str]] = {}
            for index, sub in enumerate(submissions):
                key = (sub.source, sub.event_id)
                if key in first_of:
                    self._check_same(first_of[key][1], sub, index)
                    refs.append(("same", first_of[key][0]))
                    continue
                first_of[key] = (index, sub.digest)
                receipt = uow.find(Receipt, sub.source, sub.event_id)
                if receipt is not None:
                    self._check_same(receipt.digest, sub, index)
                    refs.append(("stored", receipt.id))
                    continue
                refs.append(("new", self._admit(uow, sub, index)))
            positions = self._save(uow)
        accepted: list[Accepted] = []
        for kind, ref in refs:
            if kind == "new":
                accepted.append(Accepted(max(positions[key] for key in ref)))
            elif kind == "same":
                accepted.append(Accepted(accepted[ref].position, duplicate=True))
            else:  # the receipt is the last event its CloudEvent recorded
                accepted.append(Accepted(position_of(self.app.recorder, ref, 1) or 0, duplicate=True))
        return accepted

    def _admit(self, uow: UnitOfWork, sub: Submission, index: int) -> list[tuple[UUID, int]]:
        """Handle one submission in ``uow``; returns the keys of every event it records."""
        by = Principal(Department.INTEGRATOR, source=sub.source)
        at = sub.time or self.clock.now()
        try:
            events = handle(sub.command, uow, Context(at, by, self.policy))
        except DomainError as error:
            raise RejectedError(index, error) from None
        events += uow.record(
            Receipt(
                source=sub.source, event_id=sub.event_id, type=sub.type, digest=sub.digest,
                touchpoint_id=events[0].originator_id, touchpoint_version=events[0].originator_version,
                at=at, by=by,
            )
        )
        return [_key(e) for e in events]

    @staticmethod
    def _check_same(digest: str, sub: Submission, index: int) -> None:
        if digest != sub.digest:
            raise ConflictError(
                "idempotency-conflict",
                f"event {sub.event_id!r} from {sub.source!r} was already received with other content",
                index,
            )

    def _save(self, uow: UnitOfWork) -> dict[tuple[UUID, int], int]:
        if not uow.events:
            return {}
        try:  # the event store's put: Application.save would re-check every event's type
            recordings = self.app.events.put(uow.events)
        except IntegrityError:
            raise ConflictError(
                "concurrent-write", "another writer changed the same records; retry"
            ) from None
        for listener in self._listeners:
            listener()
        return {
            (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
            for r in recordings
        }

    def close(self) -> None:
        self.app.close()
