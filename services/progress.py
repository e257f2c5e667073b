"""How far the views are, as this process knows it, and everyone waiting for them to get further.

A read with ``?min_position`` waits here without holding a thread: an asyncio waiter is an
``asyncio.Event`` set from whichever thread learns that the views advanced (through
``loop.call_soon_threadsafe``). The in-process projector reports every page it projects. When
the views are projected by another process, one watcher thread per process polls the tracking
position, only while somebody waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Waiter:
    min_position: int
    wake: Callable[[], None]


class ViewsProgress:
    """The highest position the views were seen at, and the waiters for a higher one.

    ``read_position`` reads the views' tracking position from the store; the watcher calls it
    every ``poll_seconds`` while ``watch`` is true and somebody waits.
    """

    def __init__(self, read_position: Callable[[], int], poll_seconds: float = 0.02) -> None:
        self.read_position = read_position
        self.poll_seconds = poll_seconds
        self.watch = True
        self._position = 0
        self._waiters: set[_Waiter] = set()
        self._lock = threading.Lock()
        self._somebody_waits = threading.Condition(self._lock)
        self._closed = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def position(self) -> int:
        """The highest position the views were seen at (never more than they reflect)."""
        return self._position

    @property
    def waiting(self) -> int:
        """How many reads wait now."""
        return len(self._waiters)

    def advanced(self, position: int) -> None:
        """The views reflect ``position`` (from any thread): wake whoever waited for it."""
        with self._lock:
            if position <= self._position:
                return
            self._position = position
            ready = [w for w in self._waiters if w.min_position <= position]
            self._waiters.difference_update(ready)
        for waiter in ready:
            waiter.wake()

    async def reached(self, min_position: int, timeout: float) -> bool:
        """Wait, without holding a thread, until the views reflect ``min_position``; False
        when ``timeout`` seconds passed first."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(event.set)

        waiter = self._add(min_position, wake)
        if waiter is None:
            return True
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return False
        finally:
            self._discard(waiter)
        return True

    def reached_blocking(self, min_position: int, timeout: float) -> bool:
        """The same wait for callers outside an event loop (workers, the CLI): blocks."""
        event = threading.Event()
        waiter = self._add(min_position, event.set)
        if waiter is None:
            return True
        try:
            return event.wait(timeout)
        finally:
            self._discard(waiter)

    def close(self) -> None:
        """Stop the watcher; nobody is woken any more."""
        with self._lock:
            self._closed.set()
            self._somebody_waits.notify_all()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def _add(self, min_position: int, wake: Callable[[], None]) -> _Waiter | None:
        with self._lock:
            if min_position <= self._position:
                return None
            waiter = _Waiter(min_position, wake)
            self._waiters.add(waiter)
            if self.watch and not self._closed.is_set():
                if self._watcher is None:
                    self._watcher = threading.Thread(target=self._watch, name="journey-views-watcher", daemon=True)
                    self._watcher.start()
                self._somebody_waits.notify()
            return waiter

    def _discard(self, waiter: _Waiter) -> None:
        with self._lock:
            self._waiters.discard(waiter)

    def _watch(self) -> None:
        failing = False
        while True:
            with self._lock:
                while not (self._waiters and self.watch) and not self._closed.is_set():
                    self._somebody_waits.wait()
                if self._closed.is_set():
                    return
            try:
                self.advanced(self.read_position())
                failing = False
            except Exception:  # noqa: BLE001 -- the store is unreachable: waiters time out
                if not failing:
                    log.warning("reading the views' position failed", exc_info=True)
                failing = True
            self._closed.wait(self.poll_seconds)
