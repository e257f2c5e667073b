"""Choose and reach the event store from one URL: SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
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


def position_of(recorder: ApplicationRecorder, originator_id: UUID, version: int) -> int | None:
    """The stream position of one stored event, or None when it is not stored.

    eventsourcing returns positions when events are saved but offers no lookup afterwards; an
    idempotent retry needs the original position, so this reads the recorder's own table.
    """
    table = recorder.events_table_name  # type: ignore[attr-defined]
    datastore = recorder.datastore  # type: ignore[attr-defined]
    if hasattr(datastore, "schema"):  # PostgreSQL
        with datastore.transaction(commit=False) as curs:
            curs.execute(
                f'SELECT notification_id FROM "{datastore.schema}"."{table}" '  # noqa: S608
                "WHERE originator_id = %s AND originator_version = %s",
                (originator_id, version),
            )
            row = curs.fetchone()
            return None if row is None else row["notification_id"]
    with datastore.transaction(commit=False) as curs:
        curs.execute(
            f"SELECT rowid FROM {table} WHERE originator_id = ? AND originator_version = ?",  # noqa: S608
            (originator_id.hex, version),
        )
        row = curs.fetchone()
        return None if row is None else row[0]


def stored_ids(recorder: ApplicationRecorder, ids: Iterable[UUID]) -> set[UUID]:
    """Which of ``ids`` have any stored event: one query for a whole batch, where loading each
    aggregate to find it absent costs a query (and a replay) each."""
    table = recorder.events_table_name  # type: ignore[attr-defined]
    datastore = recorder.datastore  # type: ignore[attr-defined]
    ids = list(ids)
    found: set[UUID] = set()
    if hasattr(datastore, "schema"):  # PostgreSQL
        with datastore.transaction(commit=False) as curs:
            curs.execute(
                f'SELECT DISTINCT originator_id FROM "{datastore.schema}"."{table}" '  # noqa: S608
                "WHERE originator_id = ANY(%s)",
                (ids,),
            )
            return {row["originator_id"] for row in curs.fetchall()}
    with datastore.transaction(commit=False) as curs:
        for start in range(0, len(ids), 900):
            chunk = [i.hex for i in ids[start : start + 900]]
            curs.execute(
                f"SELECT DISTINCT originator_id FROM {table} "  # noqa: S608
                f"WHERE originator_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found |= {UUID(row[0]) for row in curs.fetchall()}
    return found
