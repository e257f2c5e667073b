"""The composition root: settings in, a wired journey out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from adapters.event_store import StoreLocation, locate
from adapters.read_store import PostgresReadStore, SQLiteReadStore
from domain.holds import DunningPolicy
from projections.batch import ReadStore
from services.clock import Clock, FixedClock, SystemClock
from services.journey import JourneyService
from services.projector import Projector, ProjectorThread
from services.reads import Reads
from services.settings import Settings


#: The read store's name: eventsourcing reads its settings as VIEWS_*, PostgreSQL tables are views_*.
READ_STORE_NAME = "views"


def open_read_store(location: StoreLocation) -> ReadStore:
    """The read store, built by eventsourcing's factory (a tracking recorder with our tables)."""
    factory = InfrastructureFactory.construct(Environment(READ_STORE_NAME, location.views_env))
    view_class = PostgresReadStore if location.is_postgres else SQLiteReadStore
    return factory.tracking_recorder(view_class)  # type: ignore[return-value]


@dataclass
class Journey:
    """Everything a process needs, wired once."""

    settings: Settings
    location: StoreLocation
    clock: Clock
    service: JourneyService
    store: ReadStore
    projector: Projector
    reads: Reads
    thread: ProjectorThread | None = field(default=None)

    def start_projecting(self) -> None:
        """Run the projector in this process, woken by every write made here; reads waiting
        for a position are then woken by it rather than by polling the store."""
        if self.thread is None:
            self.reads.progress.watch = False
            self.thread = ProjectorThread(
                self.projector, self.location, self.settings.projector_poll_seconds
            ).start()
            self.service.on_written(self.thread.wake.set)

    def close(self) -> None:
        if self.thread is not None:
            self.thread.stop()
        self.reads.close()
        self.service.close()
        self.store.close()


def bootstrap(settings: Settings, clock: Clock | None = None) -> Journey:
    """Wire the journey for ``settings``; starts nothing."""
    location = locate(settings.database_url)
    clock = clock or (FixedClock(settings.clock) if settings.clock else SystemClock())
    policy = DunningPolicy(min_interval=timedelta(days=settings.dunning_min_interval_days))
    service = JourneyService(location, clock, policy)
    store = open_read_store(location)
    projector = Projector(service.app, store, settings.projector_batch_size)
    reads = Reads(store, service.app.name, clock, policy, settings.read_wait_seconds, service.head)
    projector.on_advanced(reads.progress.advanced)
    return Journey(
        settings=settings,
        location=location,
        clock=clock,
        service=service,
        store=store,
        projector=projector,
        reads=reads,
    )
