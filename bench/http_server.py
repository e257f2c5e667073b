"""``journey serve`` as an operator runs it, in a child process on a free port of 127.0.0.1.

The server is always stopped (SIGTERM, then SIGKILL after a bound), whatever happens; on Linux
it also gets SIGTERM if the benchmark itself dies. Only the HTTP contract is used: the health
routes (``/health/live`` and ``/health/ready``, or ``/health`` where those do not exist yet).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.runner import ROOT

START_TIMEOUT = 90.0  # seconds until the server must answer its liveness route
STOP_TIMEOUT = 20.0  # seconds between SIGTERM and SIGKILL
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


#: The API keys of the running server, per role: writes go as the integrator, reads as the auditor.
KEYS: dict[str, str] = {}
#: The CloudEvent sources the bench's integrator key is bound to.
SOURCES = ("bench://shop", "bench://warm-up")


def _authorize(request: httpx.Request) -> None:
    if KEYS and "authorization" not in request.headers:
        role = "integrator" if request.method == "POST" else "auditor"
        request.headers["Authorization"] = f"Bearer {KEYS[role]}"


def client(base_url: str, timeout: float = 30.0) -> httpx.Client:
    """One keep-alive connection, never through a proxy (traffic stays on 127.0.0.1), presenting
    the server's keys."""
    return httpx.Client(base_url=base_url, timeout=timeout, trust_env=False, event_hooks={"request": [_authorize]},
                        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))


def create_keys(environment: dict[str, str]) -> None:
    """An integrator and an auditor key on the server's store, made with `journey keys create`."""
    for role, extra in (("integrator", [a for s in SOURCES for a in ("--source", s)]), ("auditor", [])):
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "keys", "create", "--role", role, "--name", f"bench-{role}", *extra],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=True,
        )
        KEYS[role] = done.stdout.strip().splitlines()[-1]


def cpu_seconds(pid: int | None, children_of: bool = False) -> float | None:
    """User + system CPU seconds of ``pid`` (or, with ``children_of``, of its live children)."""
    if pid is None:
        return None
    pids = _children(pid) if children_of else [pid]
    total = 0
    for p in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _TICK


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
    return found


@dataclass
class Health:
    head: int
    position: int
    status: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class Server:
    """A running ``journey serve``: its base URL, pid and health."""

    def __init__(self, base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.base_url = base_url
        self.process = process
        self.log = log
        self.ready_path = "/health/ready"
        self._http = client(base_url, timeout=10.0)

    def health(self) -> Health:
        """Stream head and view position. Readiness answers 503 with the same body while the
        views lag, so the body is read whatever the status."""
        response = self._http.get(self.ready_path)
        if response.status_code == 404 and self.ready_path != "/health":
            self.ready_path = "/health"
            response = self._http.get(self.ready_path)
        body = response.json()
        return Health(int(body["head"]), int(body["position"]), response.status_code)

    def cpu_seconds(self) -> float | None:
        """The server's CPU seconds, with its worker processes' (``--workers``) while they live."""
        own, workers = cpu_seconds(self.process.pid), cpu_seconds(self.process.pid, children_of=True)
        return None if own is None else own + (workers or 0.0)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def _wait_until_live(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        paths = ["/health/live", "/health"]
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"journey serve exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                response = self._http.get(paths[0])
                if response.status_code == 404 and len(paths) > 1:
                    paths.pop(0)  # a server from before /health/live
                    continue
                if response.status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"journey serve did not answer within {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def close(self) -> None:
        self._http.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def journey_server(database_url: str, log: Path, **env: str) -> Iterator[Server]:
    """Start ``journey serve`` on ``database_url`` (plus JOURNEY_* ``env``), yield it once it
    answers, stop it at the end."""
    port = _free_port()
    # the bench measures throughput: one credential sends far beyond a client's default rate limit
    environment = {**os.environ, "JOURNEY_DATABASE_URL": database_url, "JOURNEY_RATE_LIMIT_PER_SECOND": "0", **env}
    create_keys(environment)
    command = [sys.executable, "-m", "services.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", os.environ.get("BENCH_HTTP_WORKERS", "1")]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        server._wait_until_live()
        yield server
    finally:
        server.close()
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL; returns once the process is gone."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"  (server did not stop in {STOP_TIMEOUT:.0f} s: SIGKILL)", file=sys.stderr)
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)
