"""``journey campaigns`` as an operator runs it: one run of every policy over the demo, again
with nothing new; a worker that runs them on an interval and stops on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from domain.campaigns import POLICIES
from tests.e2e.test_cli import environment, run_journey

DAY = "2026-03-10T12:00:00+00:00"


def test_a_run_proposes_each_occasion_once_and_a_second_run_nothing_new(tmp_path: Path) -> None:
    env = environment(f"sqlite:///{tmp_path}/campaigns.sqlite", JOURNEY_CLOCK=DAY)
    assert run_journey("demo", "--customers", "60", env=env).returncode == 0

    first = run_journey("campaigns", "run", "--json", env=env)
    second = run_journey("campaigns", "run", "--json", env=env)
    text = run_journey("campaigns", "run", "--policy", "birthday-offer", env=env)
    unknown = run_journey("campaigns", "run", "--policy", "spam", env=env)

    assert first.returncode == second.returncode == text.returncode == 0, first.stderr + second.stderr
    runs, again = json.loads(first.stdout), {r["policy"]: r for r in json.loads(second.stdout)}
    assert [r["policy"] for r in runs] == list(POLICIES)
    decided = {r["policy"]: r["made"] + r["refused"] for r in runs}
    assert sum(decided.values()) > 0, runs
    for policy, made_or_refused in decided.items():
        assert again[policy]["made"] == again[policy]["refused"] == 0, again[policy]
        assert again[policy]["decided_before"] == made_or_refused, (policy, runs, again[policy])
    assert text.stdout.startswith("birthday-offer (2026-03-10): ") and "decided before" in text.stdout
    assert unknown.returncode == 2 and "invalid choice: 'spam'" in unknown.stderr


def test_the_worker_runs_the_policies_on_its_interval_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = environment(f"sqlite:///{tmp_path}/worker.sqlite", JOURNEY_CLOCK=DAY)
    assert run_journey("demo", "--customers", "20", env=env).returncode == 0
    worker = subprocess.Popen([sys.executable, "-m", "services.cli", "campaigns", "serve", "--interval", "0.2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        assert worker.stderr is not None
        deadline = time.monotonic() + 60
        while sum("top-customer-event (2026-03-10)" in line for line in seen) < 2 and time.monotonic() < deadline:
            seen.append(worker.stderr.readline())  # the worker logs a line per policy and run
    finally:
        worker.send_signal(signal.SIGTERM)
        _, rest = worker.communicate(timeout=30)
    log = "".join(seen) + rest
    assert worker.returncode == 0, log
    assert log.count("top-customer-event (2026-03-10)") >= 2, log  # ran more than once
    assert "Traceback" not in log
