"""The composition root: settings in, a wired journey out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from adapters.event_store import StoreLocation, locate
from adapters.history import History, aggregates_of, customers_of
from adapters.read_store import PostgresReadStore, SQLiteReadStore, ViewTables
from adapters.security_tables import SecurityTables, security_tables
from adapters.writer_lock import schema_lock
from domain.holds import DunningPolicy
from services.access_log import AccessLog
from services.audit import Audit
from services.backfill import backfill_customer_complaints
from services.clock import Clock, FixedClock, SystemClock
from services.credentials import Credentials, TokenVerifying, bearer_tokens
from services.journey import JourneyService
from services.projector import Projector, ProjectorThread
from services.rate_limits import RateLimits
from services.reads import Reads
from services.settings import Settings, contact_policy, loyalty_policy

log = logging.getLogger(__name__)

#: The longest wait for another process creating the tables.
SCHEMA_LOCK_SECONDS = 60.0

#: The read store's name: eventsourcing reads its settings as VIEWS_*, PostgreSQL tables are views_*.
READ_STORE_NAME = "views"


def open_read_store(location: StoreLocation, service: JourneyService, source_topic: str | None = None) -> ViewTables:
    """The read store. On PostgreSQL it shares the event store's connection pool (one pool per
    process); on SQLite it has its own file, built by eventsourcing's factory. With
    ``source_topic`` the views are fed from that Kafka topic and reflect its partitions' positions."""
    store: ViewTables
    if location.is_postgres:
        datastore = service.app.recorder.datastore  # type: ignore[attr-defined]
        store = PostgresReadStore(datastore, tracking_table_name=f"{READ_STORE_NAME}_tracking")
        store.create_table()
    else:
        factory = InfrastructureFactory.construct(Environment(READ_STORE_NAME, location.views_env))
        store = factory.tracking_recorder(SQLiteReadStore)  # type: ignore[assignment]
    store.source_topic = source_topic
    return store


def open_security_tables(location: StoreLocation, service: JourneyService) -> SecurityTables:
    """The API keys and the access log, in the event store's database (created when missing)."""
    tables = security_tables(service.app.recorder.datastore, location.is_postgres)  # type: ignore[attr-defined]
    tables.create_tables()
    return tables


def token_verifier(settings: Settings) -> TokenVerifying | None:
    """The bearer-token verifier when an issuer is configured, else None (API keys only)."""
    if settings.jwt_issuer is None or settings.jwt_audience is None:
        return None
    return bearer_tokens(
        settings.jwt_issuer, settings.jwt_audience, settings.jwt_jwks_url, settings.jwt_public_key,
        settings.jwt_role_claim, settings.jwt_sources_claim, settings.jwt_algorithms.split(","),
    )


@dataclass
class Journey:
    """Everything a process needs, wired once."""

    settings: Settings
    location: StoreLocation
    clock: Clock
    service: JourneyService
    store: ViewTables
    projector: Projector
    reads: Reads
    credentials: Credentials
    access_log: AccessLog
    rate_limits: RateLimits
    audit: Audit
    thread: ProjectorThread | None = field(default=None)

    def start_projecting(self) -> None:
        """Run the projector in this process, woken by every write made here; reads waiting
        for a position are then woken by it rather than by polling the store. With the views
        fed from Kafka this does nothing: the Kafka-fed workers project."""
        if self.settings.projector_source == "kafka":
            log.info("the views are fed from %s by `journey project --source kafka`", self.settings.kafka_events_topic)
            return
        if self.thread is None:
            self.reads.progress.watch = False
            self.thread = ProjectorThread(
                self.projector, self.location, self.settings.projector_poll_seconds
            ).start()
            self.service.on_written(self.thread.wake.set)

    def catch_up_views(self) -> int:
        """Bring the views up to the stream's head and return their position: project here, or,
        with the views fed from Kafka, wait (bounded, as a read does) for the Kafka-fed workers;
        NotCaughtUpError when they did not get there."""
        if self.settings.projector_source != "kafka":
            return self.projector.catch_up()
        self.reads.wait_for(self.service.head())
        return self.reads.position()

    def close(self) -> None:
        if self.thread is not None:
            self.thread.stop()
        self.reads.close()
        self.access_log.close()
        self.service.close()
        self.store.close()


def bootstrap(settings: Settings, clock: Clock | None = None) -> Journey:
    """Wire the journey for ``settings``; starts nothing."""
    location = locate(settings.database_url, settings.db_pool_size, settings.db_max_overflow)
    if settings.clock is not None:
        log.warning(
            "JOURNEY_CLOCK is set: business time is fixed at %s. For demos and tests only; "
            "never in production (every decision would be dated wrongly)", settings.clock.isoformat()
        )
    clock = clock or (FixedClock(settings.clock) if settings.clock else SystemClock())
    policy = DunningPolicy(
        min_interval=timedelta(days=settings.dunning_min_interval_days),
        max_deferral=timedelta(days=settings.max_deferral_days),
    )
    contacts = contact_policy(settings)
    source = settings.kafka_events_topic if settings.projector_source == "kafka" else None
    creating = schema_lock(location, SCHEMA_LOCK_SECONDS)
    try:
        with creating.held():  # processes started together on a new store create its tables in turn
            service = JourneyService(
                location, clock, policy, lock_timeout=settings.writer_lock_timeout,
                write_timeout=settings.write_timeout, max_group=settings.max_group,
                master_key=None if settings.master_key is None else settings.master_key.get_secret_value(),
                data_key_seconds=settings.data_key_cache_seconds, contact_policy=contacts,
                loyalty_policy=loyalty_policy(settings),
            )
            backfill_customer_complaints(service.app)
            store = open_read_store(location, service, source)
            tables = open_security_tables(location, service)
    finally:
        creating.close()
    projector = Projector(service.app, store, settings.projector_batch_size)
    history = History(service.app.recorder, service.app.mapper)
    reads = Reads(
        store, service.app.name, clock, policy, settings.read_wait_seconds, service.head,
        lambda: service.writer.written, history, lambda customer_id: aggregates_of(store, customer_id), contacts,
    )
    projector.on_advanced(reads.progress.advanced)
    return Journey(
        settings=settings,
        location=location,
        clock=clock,
        service=service,
        store=store,
        projector=projector,
        reads=reads,
        credentials=Credentials(tables, clock, token_verifier(settings), settings.key_cache_seconds),
        access_log=AccessLog(tables, clock),
        rate_limits=RateLimits(settings.rate_limit_per_second, settings.rate_limit_burst),
        audit=Audit(history, lambda customer_id: aggregates_of(store, customer_id),
                    lambda ids: customers_of(store, ids), policy),
    )
