"""A liveness file for workers: the worker beats after each successful round, a probe checks age.

A container health check cannot ask a worker without an HTTP port whether its loop still turns;
it can read a file. ``Heartbeat(path).beat()`` writes the current UTC time (ISO 8601) to
``path + ".tmp"`` and renames it over ``path`` (``os.replace``, atomic on POSIX), so a probe never
reads a half-written file; ``check`` (and ``journey alive PATH``) reads that time back. The file's
content, not its mtime, is the truth, so a probe on a filesystem with coarse mtimes still works.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

log = logging.getLogger(__name__)


class Heartbeat:
    """Records "alive now" in a file; with ``path=None`` every method does nothing.

    ``beat`` never raises on I/O errors: a worker must not die from its health file. The first
    failure is logged as a warning (later ones only at debug level, until a beat succeeds again);
    the stale file then makes the probe report the worker unhealthy, which is the right answer.
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = os.fspath(path) if path is not None else None
        self._warned = False

    def beat(self, now: datetime | None = None) -> None:
        """Record that the worker completed a round at ``now`` (default: the current UTC time)."""
        if self.path is None:
            return
        at = (now or datetime.now(UTC)).astimezone(UTC)
        temporary = self.path + ".tmp"
        try:
            with open(temporary, "w", encoding="ascii") as file:
                file.write(at.isoformat() + "\n")
            os.replace(temporary, self.path)
        except OSError as error:
            if not self._warned:
                log.warning("heartbeat file %s not written (%s); the worker goes on", self.path, error)
                self._warned = True
            else:
                log.debug("heartbeat file %s not written (%s)", self.path, error)
            return
        self._warned = False


def last_beat(path: str | os.PathLike[str]) -> datetime | None:
    """The time of the last beat recorded in ``path``; None when there is none or it is unreadable."""
    try:
        with open(path, encoding="ascii") as file:
            text = file.read().strip()
        at = datetime.fromisoformat(text)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def check(path: str | os.PathLike[str], max_age_seconds: float, now: datetime | None = None) -> str | None:
    """None when ``path`` records a beat at most ``max_age_seconds`` before ``now``; else why not."""
    if not os.path.exists(path):
        return f"no heartbeat file {os.fspath(path)}: the worker has not completed a round yet"
    at = last_beat(path)
    if at is None:
        return f"heartbeat file {os.fspath(path)} holds no readable time"
    age = ((now or datetime.now(UTC)) - at).total_seconds()
    if age > max_age_seconds:
        return f"last heartbeat {age:.0f} s ago (at {at.isoformat()}), more than {max_age_seconds:g} s"
    return None
