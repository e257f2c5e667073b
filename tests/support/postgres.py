"""A real PostgreSQL server for tests, from the cheapest source available.

Order: ``JOURNEY_TEST_DATABASE_URL`` if set, else a testcontainers container when a
Docker engine answers, else a throwaway cluster from the local ``initdb``/``pg_ctl``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

ENV_VAR = "JOURNEY_TEST_DATABASE_URL"
IMAGE = "postgres:16"
DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
SERVER_SETTINGS = (
    # Durability is worthless for a throwaway test cluster; speed is not.
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a ``postgresql://USER:PASSWORD@HOST:PORT/DBNAME`` URL of a running server."""
    url = os.environ.get(ENV_VAR)
    if url:
        yield url
        return

    docker_problem = _docker_problem()
    if docker_problem is None:
        with _container_server() as url:
            yield url
        return

    initdb, pg_ctl = _find_binary("initdb"), _find_binary("pg_ctl")
    as_root = os.geteuid() == 0
    missing = [name for name, path in (("initdb", initdb), ("pg_ctl", pg_ctl)) if not path]
    if as_root and not shutil.which("runuser"):
        missing.append("runuser (initdb/pg_ctl refuse to run as root)")
    if missing:
        raise RuntimeError(
            "No PostgreSQL server for the tests: "
            f"{ENV_VAR} is not set; no Docker engine answered ({docker_problem}); "
            f"and {', '.join(missing)} not found on PATH or in {DEBIAN_BINDIRS}. "
            f"Set {ENV_VAR}, start Docker, or install the PostgreSQL server binaries."
        )
    with _local_cluster(initdb, pg_ctl, as_root=as_root) as (url, _):
        yield url


@contextlib.contextmanager
def restartable_server() -> Iterator[tuple[str, Callable[[], None]]]:
    """A throwaway cluster of our own, with a function that restarts it (``pg_ctl -m fast
    restart``: every connection dropped, the server gone for a moment). Needs the local server
    binaries; raises LookupError without them."""
    initdb, pg_ctl = _find_binary("initdb"), _find_binary("pg_ctl")
    as_root = os.geteuid() == 0
    if not initdb or not pg_ctl or (as_root and not shutil.which("runuser")):
        raise LookupError("no local PostgreSQL server binaries (initdb, pg_ctl)")
    with _local_cluster(initdb, pg_ctl, as_root=as_root) as cluster:
        yield cluster


def create_database(base_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``base_url`` and return its URL."""
    _run_admin(base_url, "CREATE DATABASE {}", name)
    return _with_dbname(base_url, name)


def drop_database(base_url: str, name: str) -> None:
    """Drop database ``name`` on the server of ``base_url``, closing its connections."""
    _run_admin(base_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def _find_binary(name: str) -> str | None:
    """Path of a PostgreSQL program: PATH first, then the newest Debian bindir."""
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(os.path.join(DEBIAN_BINDIRS, name))
    candidates.sort(key=_major_version, reverse=True)
    return candidates[0] if candidates else None


def _major_version(path: str) -> int:
    match = re.search(r"/postgresql/(\d+)/", path)
    return int(match.group(1)) if match else -1


def _docker_problem() -> str | None:
    """None when a Docker engine answers a ping, else why not."""
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception as exc:  # ImportError, DockerException, connection errors...
        return f"{type(exc).__name__}: {exc}"
    return None


@contextlib.contextmanager
def _container_server() -> Iterator[str]:
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer(IMAGE) as container:
        # Strip any "+psycopg2"/"+psycopg" SQLAlchemy driver suffix.
        yield re.sub(r"^postgresql\+\w+://", "postgresql://", container.get_connection_url())


@contextlib.contextmanager
def _local_cluster(initdb: str, pg_ctl: str, *, as_root: bool) -> Iterator[tuple[str, Callable[[], None]]]:
    port = _free_port()
    tmp = tempfile.mkdtemp(prefix="journey-pg-")
    os.chmod(tmp, 0o755)  # mkdtemp makes it 0700, which the postgres user could not enter
    home = os.path.join(tmp, "pg")  # data dir, log and socket, owned by the server's user
    data, log = os.path.join(home, "data"), os.path.join(home, "log")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []

    def run(*args: str) -> None:
        result = subprocess.run(
            [*prefix, *args], cwd=tmp, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            server_log = _read(log)
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{server_log}"
            )

    may_be_running = False
    try:
        if as_root:
            subprocess.run(
                ["install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", home],
                check=True,
            )
        else:
            os.mkdir(home, 0o700)
        run(initdb, "-D", data, "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {home} {SERVER_SETTINGS}"
        may_be_running = True  # set before start: a half-started server must still be stopped
        run(pg_ctl, "-D", data, "-l", log, "-w", "-o", options, "start")

        def restart() -> None:
            run(pg_ctl, "-D", data, "-l", log, "-w", "-m", "fast", "-o", options, "restart")

        # Trust auth ignores the password, but the project's settings require one.
        yield f"postgresql://postgres:postgres@127.0.0.1:{port}/postgres", restart
    finally:
        if may_be_running:
            with contextlib.suppress(Exception):
                run(pg_ctl, "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _run_admin(base_url: str, statement: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    # CREATE/DROP DATABASE cannot run inside a transaction block.
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


def _with_dbname(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
