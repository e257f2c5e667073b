"""The journey command as an operator runs it: demo, serve, and the projector worker."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from services.bootstrap import bootstrap
from services.settings import Settings


def run_journey(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def environment(url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "JOURNEY_DATABASE_URL": url, **extra}


def wait_until(condition, timeout: float = 20.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_demo_loads_the_story_and_generated_customers_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.sqlite"
    day = "2026-03-10T09:00:00+00:00"
    # 1. The first load stores the demo; a second on the same day stores nothing.
    first = run_journey("demo", "--customers", "25", env=environment(url, JOURNEY_CLOCK=day))
    assert first.returncode == 0, first.stderr
    assert "demo loaded:" in first.stdout
    assert "hw-1001" in first.stdout and "with a complaint" in first.stdout  # ids to try
    again = run_journey("demo", "--customers", "25", env=environment(url, JOURNEY_CLOCK=day))
    assert again.returncode == 0, again.stderr
    assert "demo already loaded: nothing stored again" in again.stdout
    # 2. On another day the demo's events would contradict the stored ones: refused, said so.
    later = run_journey("demo", "--customers", "25", env=environment(url, JOURNEY_CLOCK="2026-03-11T09:00:00+00:00"))
    assert later.returncode != 0
    assert "demo not loaded" in later.stderr and "Traceback" not in later.stderr

    journey = bootstrap(Settings(database_url=url, clock=day))
    try:
        billing = journey.reads.billing("hw-1001")
        assert {h["kind"] for h in billing["invoices"][0]["holds"]} == {"detailed-invoice-requested", "payment-deferral"}
        assert journey.reads.position() == journey.service.head()
    finally:
        journey.close()


def test_demo_after_the_readme_story_says_why_it_cannot_load(tmp_path: Path) -> None:
    """The README's story registers hw-1001 from the shop; the demo's own hw-1001 would
    contradict it: the demo says so and how to load it elsewhere, without a traceback."""
    url = f"sqlite:///{tmp_path}/story.sqlite"
    day = "2026-03-20T09:00:00+00:00"
    journey = bootstrap(Settings(database_url=url, clock=day))
    try:
        from domain import commands as c
        from domain.values import Department, Principal

        journey.service.execute(c.RegisterCustomer("hw-1001", "Max Mustermann", "max@example.org"),
                                Principal(Department.SALES, "sid"))
    finally:
        journey.close()

    refused = run_journey("demo", "--customers", "5", env=environment(url, JOURNEY_CLOCK=day))

    assert refused.returncode != 0
    assert "demo not loaded: the store already holds touchpoints" in refused.stderr
    assert "JOURNEY_DATABASE_URL=" in refused.stderr and "Traceback" not in refused.stderr


def test_serve_is_live_and_ready_on_the_embedded_default(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = environment(f"sqlite:///{tmp_path}/serve.sqlite")
    server = subprocess.Popen([sys.executable, "-m", "services.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def answers(check: str) -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/{check}", timeout=1) as response:
                    return json.load(response)["status"] == check
            except OSError:
                return False

        wait_until(lambda: answers("live"))
        wait_until(lambda: answers("ready"))
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_projector_worker_catches_the_views_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/worker.sqlite"
    # 1. Load the demo without projecting it (catch-up only happens at the end, so reset after).
    loaded = run_journey("demo", "--customers", "5", env=environment(url))
    assert loaded.returncode == 0, loaded.stderr
    (tmp_path / "worker.views.sqlite").unlink()
    # 2. The worker rebuilds the views from the stream and keeps them caught up.
    worker = subprocess.Popen([sys.executable, "-m", "services.cli", "project"], env=environment(url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        journey = bootstrap(Settings(database_url=url))
        try:
            wait_until(lambda: journey.reads.position() == journey.service.head() > 0)
            assert journey.reads.billing("hw-1001")["invoices"][0]["invoice_id"] == "INV-1001"
        finally:
            journey.close()
    finally:
        worker.terminate()
        assert worker.wait(timeout=10) == 0
