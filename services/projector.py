"""Keeps the read store caught up with the journey stream.

Catch-up reads the notification log in pages and projects each page in one transaction. On
PostgreSQL, once caught up, eventsourcing's ProjectionRunner follows the stream live through
LISTEN/NOTIFY; on SQLite, where the library has no subscriptions, the same catch-up runs in a
polling loop, woken at once by writes made in this process.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from eventsourcing.persistence import OperationalError
from eventsourcing.projection import ProjectionRunner

from adapters.event_store import StoreLocation
from projections.batch import ReadStore
from projections.views import DepartmentViews, fold
from services.journey import JourneyApplication

log = logging.getLogger(__name__)



class Projector:
    """Projects the stream of ``app`` into ``store`` in batches of ``batch_size`` events."""

    def __init__(self, app: JourneyApplication, store: ReadStore, batch_size: int = 1000) -> None:
        self.app = app
        self.store = store
        self.batch_size = batch_size

    def position(self) -> int:
        return self.store.position(self.app.name)

    def catch_up(self) -> int:
        """Project every stored event not yet in the views; returns the position reached.
        Memory stays flat: one page of notifications is held at a time."""
        position = self.position()
        decode = self.app.mapper.to_domain_event
        while True:
            page = self.app.recorder.select_notifications(
                start=position, limit=self.batch_size, inclusive_of_start=False
            )
            if not page:
                return position
            events = [(decode(n), n.id) for n in page]
            # Another projector may have got further meanwhile: project answers where it is.
            position = self.store.project(self.app.name, events, fold, page[-1].id)


class ProjectorThread:
    """Runs a Projector in a background thread until stopped."""

    def __init__(
        self, projector: Projector, location: StoreLocation, poll_seconds: float = 0.2
    ) -> None:
        self.projector = projector
        self.location = location
        self.poll_seconds = poll_seconds
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journey-projector", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> ProjectorThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            if self.location.is_postgres:
                self.projector.catch_up()
                self._follow_live()
            else:
                self._poll()
        except BaseException as error:  # noqa: BLE001 -- reported through /health and the log
            self.error = error
            log.exception("projector stopped")

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.wake.clear()
            try:
                self.projector.catch_up()
            except OperationalError:  # the SQLite file is busy; the next round retries
                log.warning("read store busy; retrying", exc_info=True)
            self.wake.wait(self.poll_seconds)

    def _follow_live(self) -> None:
        runner: ProjectionRunner[Any, Any] = ProjectionRunner(
            application_class=JourneyApplication,
            projection_class=DepartmentViews,
            view_class=type(self.projector.store),
            env=self.location.views_env,
        )
        with runner:
            while not self._stop.is_set():
                runner.run_forever(timeout=self.poll_seconds)
