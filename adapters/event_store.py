"""Choose and reach the event store from one URL: SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from eventsourcing.utils import get_topic
from psycopg.conninfo import make_conninfo

from adapters.write_store import PostgresJourneyRecorder, SQLiteJourneyRecorder

#: Library settings the journey depends on, pinned so that the environment cannot switch them:
#: inserts under the table lock keep positions in commit order (no database functions), the
#: read store keeps one tracking row, ids are uuids, tables are created when missing.
PINNED = {
    "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
    "SINGLE_ROW_TRACKING": "yes",
    "ORIGINATOR_ID_TYPE": "uuid",
    "CREATE_TABLE": "yes",
    "COMPRESSOR_TOPIC": "",
    "CIPHER_TOPIC": "",
}
#: The library's aggregate cache for the event store: an aggregate the writer must load again
#: (another process appended since its last group) is fast-forwarded with the events stored
#: since (one query) instead of replayed from its first event.
AGGREGATE_CACHE = {"AGGREGATE_CACHE_MAXSIZE": "2000", "AGGREGATE_CACHE_FASTFORWARD": "yes"}


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


def locate(url: str, pool_size: int = 2, max_overflow: int = 2) -> StoreLocation:
    """Translate ``JOURNEY_DATABASE_URL`` into eventsourcing's environment variables.

    SQLite keeps the read store in a sibling file (``<name>.views.sqlite``) so that projecting
    never blocks appending; PostgreSQL keeps both in one database, in their own tables, reached
    through one pool of at most ``pool_size + max_overflow`` connections.
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(unquote(parts.path.removeprefix("/"))) if parts.path != "/:memory:" else None
        if path is None:
            raise ValueError("an in-memory SQLite database cannot be shared with the projector")
        path.parent.mkdir(parents=True, exist_ok=True)
        views = path.with_name(f"{path.stem}.views{path.suffix or '.sqlite'}")
        common = {**PINNED, "PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_LOCK_TIMEOUT": "30"}
        events = {
            **common, **AGGREGATE_CACHE, "SQLITE_DBNAME": str(path),
            "APPLICATION_RECORDER_TOPIC": get_topic(SQLiteJourneyRecorder),
        }
        return StoreLocation(url, _named(events), _named({**common, "SQLITE_DBNAME": str(views)}))
    if parts.scheme in ("postgresql", "postgres"):
        env = {
            **PINNED,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.removeprefix("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "localhost",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": str(max_overflow),
            "POSTGRES_PRE_PING": "yes",  # a pooled connection killed by a failover is replaced
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": get_topic(PostgresJourneyRecorder),
        }
        return StoreLocation(url, _named({**env, **AGGREGATE_CACHE}), _named(env))
    raise ValueError(f"unsupported database URL scheme {parts.scheme!r}")


def _named(env: dict[str, str]) -> dict[str, str]:
    """``env`` also under the names eventsourcing looks up first (``JOURNEY_X`` before ``X``
    for the application "journey", ``VIEWS_X`` for the read store), so that no variable in the
    process's environment can override a setting given here."""
    return {**env, **{f"{name}_{key}": value for name in ("JOURNEY", "VIEWS") for key, value in env.items()}}


def conninfo(location: StoreLocation, application_name: str) -> str:
    """libpq connection parameters of a PostgreSQL ``location``, for a connection of our own
    outside the library's pool (the writer lock, the listener). TCP keepalives make a server
    gone without a reset (a failover) noticed within seconds."""
    env = location.env
    return make_conninfo(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"],
        connect_timeout=env.get("POSTGRES_CONNECT_TIMEOUT", "5"), application_name=application_name,
        keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3, tcp_user_timeout=10_000,
    )
