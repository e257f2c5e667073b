"""Wake-ups from PostgreSQL: LISTEN on the event store's NOTIFY channel, on one dedicated
connection, reconnected after any failure.

eventsourcing's PostgreSQL recorder NOTIFYs a channel named after its events table in the
transaction of every insert. A notification carries nothing we need: it only says "something
was written", so whoever listens reads the log itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

from adapters.event_store import StoreLocation, conninfo

log = logging.getLogger(__name__)


class Listener:
    """Calls ``on_notify()`` for every NOTIFY on ``channel`` (and once after each (re)connect,
    since notifications sent while no connection listened are lost), from a thread of its own.

    A failed or dropped connection is logged and reopened after a pause that doubles from
    ``min_pause`` up to ``max_pause``; the listener never gives up until ``stop``.
    """

    def __init__(
        self,
        location: StoreLocation,
        channel: str,
        on_notify: Callable[[], None],
        *,
        min_pause: float = 0.1,
        max_pause: float = 5.0,
    ) -> None:
        self.conninfo = conninfo(location, "journey-listener")
        self.channel = channel
        self.on_notify = on_notify
        self.min_pause = min_pause
        self.max_pause = max_pause
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journey-listener", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        pause = self.min_pause
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as error:  # noqa: BLE001 -- any failure: reconnect after a pause
                if self.connected.is_set():  # it had worked: start the pauses over
                    pause = self.min_pause
                self.connected.clear()
                log.warning("listening for new events failed (%r); reconnecting in %.1f s", error, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, self.max_pause)

    def _listen(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.connected.set()
            self.on_notify()
            while not self._stop.is_set():
                # Wake at least every half second to notice stop; drain bursts in one go.
                if any(True for _ in conn.notifies(timeout=0.5, stop_after=1)):
                    self.on_notify()
