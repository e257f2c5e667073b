"""Choose and reach the event store from one URL: SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder


@dataclass(frozen=True)
class StoreLocation:
    """Where the event store and the read store live, as eventsourcing environment settings."""

    url: str
    env: dict[str, str]
    views_env: dict[str, str]

    @property
    def redacted_url(self) -> str:
        """The URL without its password, for logs."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()

    @property
    def is_postgres(self) -> bool:
        return self.env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"


def locate(url: str) -> StoreLocation:
    """Translate ``JOURNEY_DATABASE_URL`` into eventsourcing's environment variables.

    SQLite keeps the read store in a sibling file (``<name>.views.sqlite``) so that projecting
    never blocks appending; PostgreSQL keeps both in one database, in their own tables.
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(unquote(parts.path.removeprefix("/"))) if parts.path != "/:memory:" else None
        if path is None:
            raise ValueError("an in-memory SQLite database cannot be shared with the projector")
        path.parent.mkdir(parents=True, exist_ok=True)
        views = path.with_name(f"{path.stem}.views{path.suffix or '.sqlite'}")
        common = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_LOCK_TIMEOUT": "30"}
        return StoreLocation(
            url, {**common, "SQLITE_DBNAME": str(path)}, {**common, "SQLITE_DBNAME": str(views)}
        )
    if parts.scheme in ("postgresql", "postgres"):
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.removeprefix("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "localhost",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": "10",
            "POSTGRES_MAX_OVERFLOW": "10",
        }
        return StoreLocation(url, env, dict(env))
    raise ValueError(f"unsupported database URL scheme {parts.scheme!r}")


@dataclass(frozen=True)
class _EventsTable:
    """The recorder's own events table, as SQL needs it on either database."""

    datastore: Any
    name: str
    mark: str
    position: str
    as_key: Callable[[UUID], Any]


def _events_table(recorder: ApplicationRecorder) -> _EventsTable:
    table = recorder.events_table_name  # type: ignore[attr-defined]
    datastore = recorder.datastore  # type: ignore[attr-defined]
    if hasattr(datastore, "schema"):  # PostgreSQL: uuid column, explicit notification id
        return _EventsTable(datastore, f'"{datastore.schema}"."{table}"', "%s", "notification_id", lambda i: i)
    return _EventsTable(datastore, table, "?", "rowid", lambda i: i.hex)  # SQLite: hex text, rowid


def position_of(recorder: ApplicationRecorder, originator_id: UUID, version: int) -> int | None:
    """The stream position of one stored event, or None when it is not stored.

    eventsourcing returns positions when events are saved but offers no lookup afterwards; an
    idempotent retry needs the original position, so this reads the recorder's own table.
    """
    t = _events_table(recorder)
    with t.datastore.transaction(commit=False) as curs:
        curs.execute(
            f"SELECT {t.position} AS position FROM {t.name} "  # noqa: S608
            f"WHERE originator_id = {t.mark} AND originator_version = {t.mark}",
            (t.as_key(originator_id), version),
        )
        row = curs.fetchone()
    return None if row is None else row["position"]


def stored_ids(recorder: ApplicationRecorder, ids: Iterable[UUID]) -> set[UUID]:
    """Which of ``ids`` have any stored event: one query for a whole batch, where loading each
    aggregate to find it absent costs a query (and a replay) each."""
    t = _events_table(recorder)
    keys = [t.as_key(i) for i in ids]
    found: set[UUID] = set()
    with t.datastore.transaction(commit=False) as curs:
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            curs.execute(
                f"SELECT DISTINCT originator_id FROM {t.name} "  # noqa: S608
                f"WHERE originator_id IN ({', '.join([t.mark] * len(chunk))})",
                chunk,
            )
            found |= {UUID(str(row["originator_id"])) for row in curs.fetchall()}
    return found
