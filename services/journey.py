"""The journey service: the application whose notification log is the shared stream, and the
use cases that write to it through the process's group writer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from uuid import UUID

from eventsourcing.application import Application, Repository
from eventsourcing.persistence import EventStore, JSONTranscoder, Mapper
from eventsourcing.utils import strtobool

from adapters.cloudevents import Submission
from adapters.data_keys import MemoryDataKeys, data_key_store
from adapters.event_store import StoreLocation
from adapters.personal_cipher import DEVELOPMENT_MASTER_KEY, KeyRing, MasterKeyError, parse_master_key
from adapters.personal_mapper import KeyCheckedRepository, PersonalDataMapper, SealingEventStore
from adapters.transcodings import register_journey_transcodings
from adapters.writer_lock import writer_lock
from domain.commands import Command
from domain.contact import ContactPolicy
from domain.errors import DomainError
from domain.holds import DunningPolicy
from domain.loyalty import LoyaltyPolicy
from domain.values import Department, Principal
from services import handlers_contacts, handlers_loyalty, handlers_privacy  # noqa: F401 -- they register their handlers
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
from services.unit_of_work import SideTables, UnitOfWork
from services.writer import ContentionError, Group, GroupWriter, WriteRequest

__all__ = [
    "Accepted", "ConflictError", "ContentionError", "IdempotencyKey", "IdempotencyKeyReusedError",
    "JourneyApplication", "JourneyService", "RejectedError", "Submission", "Written",
]


log = logging.getLogger(__name__)


class JourneyApplication(Application[UUID]):
    """The eventsourcing application whose notification log is the shared journey stream.

    Its mapper seals personal data with per-customer keys (adapters.personal_mapper): read from
    ``JOURNEY_MASTER_KEY`` (base64, 32 bytes; required with PostgreSQL) and cached for
    ``JOURNEY_DATA_KEY_CACHE_SECONDS``, from the application's environment."""

    name = "journey"
    mapper: PersonalDataMapper

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        datastore = getattr(self.recorder, "datastore", None)
        store = data_key_store(datastore, self.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres")
        store.create_table()
        self.mapper.keys.store = store
        self.mapper.first_event = lambda originator_id: next(
            iter(self.recorder.select_events(originator_id, limit=1)), None
        )

    def construct_mapper(self) -> Mapper[UUID]:
        keys = KeyRing(MemoryDataKeys(), self._master_key(), float(self.env.get("DATA_KEY_CACHE_SECONDS") or 5.0))
        return PersonalDataMapper(self.construct_transcoder(), keys)

    def construct_event_store(self) -> EventStore[UUID]:
        return SealingEventStore(self.mapper, self.recorder)

    def construct_repository(self) -> Repository[UUID]:
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return KeyCheckedRepository(
            self.mapper.keys, event_store=self.events, snapshot_store=self.snapshots,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
        )

    def _master_key(self) -> bytes:
        encoded = self.env.get("MASTER_KEY")
        if encoded:
            return parse_master_key(encoded)
        if self.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
            raise MasterKeyError("JOURNEY_MASTER_KEY is required with PostgreSQL (base64 of 32 random bytes)")
        log.warning(
            "JOURNEY_MASTER_KEY is not set: personal data is sealed with the DEVELOPMENT master key, "
            "which anyone can read in the source. For the embedded demo store only; set JOURNEY_MASTER_KEY"
        )
        return parse_master_key(DEVELOPMENT_MASTER_KEY)

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
        master_key: str | None = None,
        data_key_seconds: float | None = None,
        contact_policy: ContactPolicy | None = None,
        loyalty_policy: LoyaltyPolicy | None = None,
    ) -> None:
        env = dict(location.env)
        if master_key is not None:
            env["JOURNEY_MASTER_KEY"] = master_key
        if data_key_seconds is not None:
            env["JOURNEY_DATA_KEY_CACHE_SECONDS"] = str(data_key_seconds)
        self.app = JourneyApplication(env=env)
        self.clock = clock
        self.policy = policy or DunningPolicy()
        self.contact_policy = contact_policy or ContactPolicy()
        self.loyalty_policy = loyalty_policy or LoyaltyPolicy()
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

    def linked(self, relation: str, owner: str) -> list[str]:
        """What the writes linked to ``owner`` by ``relation`` (e.g. the loyalty card holders)."""
        recorder: SideTables = self.app.recorder  # type: ignore[assignment]  # the journey's recorders keep links
        return recorder.members(relation, owner)

    def head(self) -> int:
        """The position of the newest event in the stream (0 when it is empty)."""
        return self.app.recorder.max_notification_id() or 0

    def _command(self, command: Command, by: Principal, idempotency: IdempotencyKey | None) -> Future[Written]:
        return self.writer.submit(
            Execute(command, by, lambda: Context(self.clock.now(), by, self.policy, self.contact_policy, self.loyalty_policy), idempotency)
        )

    def _ingest(self, submissions: Sequence[Submission], user: str | None = None) -> Future[list[Accepted]]:
        def context(sub: Submission) -> Context:
            by = Principal(Department.INTEGRATOR, user=user, source=sub.source, event_id=sub.event_id)
            return Context(sub.time or self.clock.now(), by, self.policy, self.contact_policy, self.loyalty_policy)

        return self.writer.submit(Ingest(submissions, context))

    def execute(self, command: Command, by: Principal, idempotency: IdempotencyKey | None = None) -> Written:
        """Carry out one department command; raises DomainError when a rule refuses it."""
        return self._command(command, by, idempotency).result(self.write_timeout)

    def execute_many(self, commands: Sequence[tuple[Command, Principal]]) -> list[Written | DomainError]:
        """Carry out many independent commands, handed to the writer together so that it commits
        them in a few groups; each answers its result, or the DomainError that refused it (the
        others are written all the same)."""
        futures = [self._command(command, by, None) for command, by in commands]
        results: list[Written | DomainError] = []
        for future in futures:
            try:
                results.append(future.result(self.write_timeout))
            except DomainError as error:
                results.append(error)
        return results

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
