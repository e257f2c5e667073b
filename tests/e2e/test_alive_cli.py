"""`journey alive` as a container health check runs it: exit 0 while the worker beats, else 1 and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.heartbeat import Heartbeat
from tests.e2e.test_cli import environment, run_journey


def test_journey_alive_passes_a_fresh_heartbeat_and_fails_a_stale_or_missing_one(tmp_path: Path) -> None:
    env = environment(f"sqlite:///{tmp_path}/unused.sqlite")
    path = tmp_path / "journey.alive"

    # 1. No file yet: the worker has not completed a round; unhealthy, and the reason is on stderr.
    missing = run_journey("alive", str(path), env=env)
    assert missing.returncode == 1
    assert "no heartbeat file" in missing.stderr and "Traceback" not in missing.stderr

    # 2. A beat now is fresh (a generous --max-age: the check must not depend on how fast we start).
    Heartbeat(path).beat()
    fresh = run_journey("alive", str(path), "--max-age", "3600", env=env)
    assert fresh.returncode == 0, fresh.stderr

    # 3. A beat ten minutes ago is stale under the default of 30 s.
    Heartbeat(path).beat(now=datetime.now(UTC) - timedelta(minutes=10))
    stale = run_journey("alive", str(path), env=env)
    assert stale.returncode == 1
    assert "last heartbeat" in stale.stderr and "Traceback" not in stale.stderr
