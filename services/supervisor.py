"""A worker loop that never dies silently: each round's error is logged, the worker pauses
(doubling from ``min_pause`` up to ``max_pause``, reset by a success), drops its connections
(``reset``) and resumes. Its state is readable at any time; ``beat`` is called after every
successful round (a liveness file, see ``services.heartbeat``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerState:
    """``running``, ``backing-off`` after an error, or ``stopped``; the last error, how many
    rounds failed in a row, when one last succeeded."""

    status: str = "running"
    last_error: str | None = None
    failures: int = 0
    last_success: datetime | None = None


class Supervised:
    """Runs ``round()`` until stopped. ``round`` answers whether it found work; when it found
    none the worker waits ``idle_seconds`` (or until ``wake`` is set) before the next round."""

    def __init__(  # noqa: PLR0913
        self,
        name: str,
        round: Callable[[], bool],  # noqa: A002 -- a worker's round
        *,
        reset: Callable[[], None] = lambda: None,
        beat: Callable[[], None] = lambda: None,
        idle_seconds: float = 0.2,
        min_pause: float = 0.1,
        max_pause: float = 5.0,
    ) -> None:
        self.name = name
        self.round = round
        self.reset = reset
        self.beat = beat
        self.idle_seconds = idle_seconds
        self.min_pause = min_pause
        self.max_pause = max_pause
        self.wake = threading.Event()
        self._state = WorkerState()

    @property
    def state(self) -> WorkerState:
        return self._state

    def run(self, stop: threading.Event) -> None:
        """Run rounds until ``stop`` is set; never returns early on an error."""
        pause = self.min_pause
        while not stop.is_set():
            self.wake.clear()
            try:
                busy = self.round()
            except Exception as error:  # noqa: BLE001 -- anything: log, back off, resume
                self._drop()
                self._failed(error, pause)
                stop.wait(pause)
                pause = min(pause * 2, self.max_pause)
                continue
            pause = self.min_pause
            self._succeeded()
            if not busy:
                self.wake.wait(self.idle_seconds)
        self._drop()
        self._state = replace(self._state, status="stopped")

    def _drop(self) -> None:
        try:
            self.reset()
        except Exception:  # noqa: BLE001 -- a broken connection is dropped either way
            log.warning("%s: closing its connections failed", self.name, exc_info=True)

    def _failed(self, error: Exception, pause: float) -> None:
        failures = self._state.failures + 1
        self._state = replace(self._state, status="backing-off", last_error=repr(error), failures=failures)
        if failures == 1:
            log.exception("%s failed; retrying in %.1f s", self.name, pause)
        else:
            log.warning("%s failed %d times in a row (%r); retrying in %.1f s", self.name, failures, error, pause)

    def _succeeded(self) -> None:
        if self._state.failures:
            log.info("%s works again after %d failed rounds", self.name, self._state.failures)
        self._state = replace(self._state, status="running", failures=0, last_success=datetime.now(UTC))
        self.beat()
