"""Run one worker case in a fresh interpreter and read its peak RSS from the kernel."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Where every run also writes cProfile stats (``BENCH_PROFILE_DIR``; slower), or None.
PROFILE_DIR = Path(os.environ["BENCH_PROFILE_DIR"]) if os.environ.get("BENCH_PROFILE_DIR") else None


@dataclass
class Result:
    """One measured row: what ran, on which store, how much, how fast, how big."""

    case: str
    store: str
    kind: str  # "ingest", "library", "catch-up", "read"
    events: int
    seconds: float
    peak_rss_mib: float
    touchpoints: int | None = None
    wall_seconds: float = 0.0
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def touchpoint_rate(self) -> float | None:
        return self.touchpoints / self.seconds if self.touchpoints and self.seconds else None


def measure(case: str, store: str, kind: str, args: list[str], profile: Path | None = None) -> Result:
    """``python -m bench.worker *args`` in a fresh process; peak RSS via os.wait4 (ru_maxrss,
    KiB on Linux), i.e. the high-water mark of the whole child, imports and setup included."""
    command = [sys.executable, "-m", "bench.worker", *args]
    if profile is not None:
        command += ["--profile", str(profile)]
    print(f"  [{store}] {case} ...", end="", file=sys.stderr, flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        print(" failed", file=sys.stderr)
        raise RuntimeError(f"worker {' '.join(args)} exited with {proc.returncode}")
    raw = json.loads(out.strip().splitlines()[-1])
    result = Result(
        case=case, store=store, kind=kind, events=raw["events"], seconds=raw["seconds"],
        peak_rss_mib=usage.ru_maxrss / 1024, touchpoints=raw.get("touchpoints") if kind == "ingest" else None,
        wall_seconds=wall, raw=raw,
    )
    print(
        f" {result.events:,} events in {result.seconds:.2f} s ({result.rate:,.0f}/s), "
        f"peak RSS {result.peak_rss_mib:.0f} MiB",
        file=sys.stderr,
    )
    if "head" in raw and raw["end"] != raw["head"]:
        raise RuntimeError(f"{case}: stopped at {raw['end']}, the stream's head is {raw['head']}")
    return result


def throwaway_master_key() -> None:
    """Give the bench's processes a master key of their own unless one is set: its stores are
    thrown away, and PostgreSQL refuses to start without one (docs/privacy.md)."""
    os.environ.setdefault("JOURNEY_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


def env_int(name: str, default: int) -> int:
    """A size of the bench from the environment variable ``name``, else ``default``."""
    return int(os.environ.get(name, default))
