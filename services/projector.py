"""Keeps the read store caught up with the journey stream.

The projector only ever catches up: it reads the notification log in pages and projects each
page in one transaction, so a burst of writes is projected in pages as large as when starting
from scratch. Following the stream live is catching up whenever something may have been
written: a notification only wakes the thread. Wake-ups come from writes made in this process
(``wake``), on PostgreSQL from the event store's NOTIFY (one listening connection), and, on both
stores, from a poll every ``poll_seconds``.

The thread is supervised: any error is logged, the thread pauses (doubling from 0.1 s up to
5 s, reset by a success) and resumes from the tracked position. It never stays dead; its state
is exposed for readiness.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from adapters.event_store import StoreLocation
from adapters.notifications import Listener
from projections.batch import ReadStore
from projections.views import fold
from services.journey import JourneyApplication

log = logging.getLogger(__name__)



class Projector:
    """Projects the stream of ``app`` into ``store`` in batches of ``batch_size`` events."""

    def __init__(self, app: JourneyApplication, store: ReadStore, batch_size: int = 1000) -> None:
        self.app = app
        self.store = store
        self.batch_size = batch_size
        self._advanced: list[Callable[[int], None]] = []

    def on_advanced(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(position)`` with every position the views are seen to reach."""
        self._advanced.append(listener)

    def position(self) -> int:
        return self.store.position(self.app.name)

    def catch_up(self, stopping: Callable[[], bool] = lambda: False) -> int:
        """Project every stored event not yet in the views, one transaction per page; returns
        the position reached. Memory stays flat: one page of notifications is held at a time.
        ``stopping`` is asked between pages."""
        position = self._reached(self.position())
        decode = self.app.mapper.to_domain_events
        while not stopping():
            page = self.app.recorder.select_notifications(
                start=position, limit=self.batch_size, inclusive_of_start=False
            )
            if not page:
                break
            events = list(zip(decode(page), (n.id for n in page), strict=True))
            # Another projector may have got further meanwhile: project answers where it is.
            position = self._reached(self.store.project(self.app.name, events, fold, page[-1].id))
        return position

    def _reached(self, position: int) -> int:
        for listener in self._advanced:
            listener(position)
        return position


@dataclass(frozen=True)
class ProjectorState:
    """How the projector thread is doing: ``running`` or ``backing-off`` after an error (or
    ``stopped``), the last error, how many rounds failed in a row, when one last succeeded."""

    status: str = "running"
    last_error: str | None = None
    failures: int = 0
    last_success: datetime | None = None


class ProjectorThread:
    """Runs a Projector in a supervised background thread until stopped."""

    def __init__(
        self,
        projector: Projector,
        location: StoreLocation,
        poll_seconds: float = 0.2,
        *,
        min_pause: float = 0.1,
        max_pause: float = 5.0,
    ) -> None:
        self.projector = projector
        self.poll_seconds = poll_seconds
        self.min_pause = min_pause
        self.max_pause = max_pause
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._state = ProjectorState()
        self._thread = threading.Thread(target=self._run, name="journey-projector", daemon=True)
        self._listener = (
            Listener(location, projector.app.recorder.channel_name, self.wake.set)  # type: ignore[attr-defined]
            if location.is_postgres
            else None
        )

    @property
    def state(self) -> ProjectorState:
        return self._state

    def start(self) -> ProjectorThread:
        if self._listener is not None:
            self._listener.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._listener is not None:
            self._listener.stop()
        self._thread.join(timeout=10)
        self._state = replace(self._state, status="stopped")

    def _run(self) -> None:
        pause = self.min_pause
        while not self._stop.is_set():
            self.wake.clear()
            try:
                self.projector.catch_up(self._stop.is_set)
            except Exception as error:  # noqa: BLE001 -- anything: log, back off, resume
                self._failed(error, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, self.max_pause)
                continue
            pause = self.min_pause
            self._succeeded()
            self.wake.wait(self.poll_seconds)

    def _failed(self, error: Exception, pause: float) -> None:
        failures = self._state.failures + 1
        self._state = replace(self._state, status="backing-off", last_error=repr(error), failures=failures)
        if failures == 1:
            log.exception("projecting failed; retrying in %.1f s", pause)
        else:
            log.warning("projecting failed %d times in a row (%r); retrying in %.1f s", failures, error, pause)

    def _succeeded(self) -> None:
        if self._state.failures:
            log.info("projecting again after %d failed rounds", self._state.failures)
        self._state = replace(self._state, status="running", failures=0, last_success=datetime.now(UTC))
