"""A throwaway PostgreSQL cluster with the server's default durability (fsync on), for the HTTP
cases: ``fsync=off`` would hide the commit latency that batching and group commit amortise.

``JOURNEY_BENCH_DATABASE_URL``, when set, is used instead (its settings are reported as found).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.stores import ENV_VAR, PostgresStores
from tests.support.postgres import _find_binary, _free_port

# Only room for the server's connections; everything else (fsync, synchronous_commit,
# full_page_writes, shared_buffers) as PostgreSQL ships it.
SETTINGS = "-c max_connections=200"


class DurableStores(PostgresStores):
    """Databases on a durable server; ``data_dir`` is set when the cluster is our own."""

    def __init__(self, base_url: str, data_dir: Path | None) -> None:
        super().__init__(base_url)
        self.data_dir = data_dir

    def postmaster_pid(self) -> int | None:
        """The pid of our cluster's postmaster (its backends' CPU time is read from /proc)."""
        if self.data_dir is None:
            return None
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        return None


@contextlib.contextmanager
def durable_postgres_stores() -> Iterator[DurableStores]:
    """Fresh databases on a server that syncs its commits to disk (fsync on)."""
    url = os.environ.get(ENV_VAR)
    with contextlib.nullcontext((url, None)) if url else _durable_cluster() as (base_url, data_dir):
        stores = DurableStores(base_url, data_dir)
        try:
            yield stores
        finally:
            stores.close()


@contextlib.contextmanager
def _durable_cluster() -> Iterator[tuple[str, Path]]:
    initdb, pg_ctl = _find_binary("initdb"), _find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError(f"initdb/pg_ctl not found: install the PostgreSQL server binaries or set {ENV_VAR}")
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    tmp = tempfile.mkdtemp(prefix="journey-bench-pg-")
    os.chmod(tmp, 0o755)  # the postgres user must be able to enter it
    home = os.path.join(tmp, "pg")
    data, log, port = os.path.join(home, "data"), os.path.join(home, "log"), _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], cwd=tmp, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")

    started = False
    try:
        if as_root:
            subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", home], check=True)
        else:
            os.mkdir(home, 0o700)
        run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        started = True  # before start: a half-started server must still be stopped
        run(pg_ctl, "-D", data, "-l", log, "-w", "-o",
            f"-p {port} -c listen_addresses=127.0.0.1 -k {home} {SETTINGS}", "start")
        yield f"postgresql://postgres:postgres@127.0.0.1:{port}/postgres", Path(data)
    finally:
        if started:
            with contextlib.suppress(Exception):
                run(pg_ctl, "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)
