"""``journey rebuild`` as an operator runs it: rebuild and switch, discard a partial rebuild, one
view alone."""

from __future__ import annotations

from pathlib import Path

from services.bootstrap import bootstrap
from services.rebuild import partial_rebuild, rebuild
from services.settings import Settings
from tests.e2e.test_cli import environment, run_journey

DAY = "2026-03-10T09:00:00+00:00"


def test_rebuild_switches_new_views_in_and_discard_drops_a_partial_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/rebuild.sqlite"
    env = environment(url, JOURNEY_CLOCK=DAY)
    assert run_journey("demo", "--customers", "10", env=env).returncode == 0
    journey = bootstrap(Settings(database_url=url, clock=DAY))
    try:
        before = journey.reads.billing("hw-1001")
        head = journey.service.head()
    finally:
        journey.close()
    # 1. A full rebuild: progress on stderr, the position on stdout; the views answer as before.
    done = run_journey("rebuild", "--page-size", "50", env=env)
    assert done.returncode == 0, done.stderr
    assert f"views at position {head}" in done.stdout
    assert "rebuilding views" in done.stderr and "events/s" in done.stderr
    # 2. A partial rebuild left behind is named, then discarded.
    journey = bootstrap(Settings(database_url=url, clock=DAY))
    try:
        assert journey.reads.billing("hw-1001") == before
        rebuild(journey, page_size=20, stopping=lambda: True)
        assert partial_rebuild(journey) == 20
    finally:
        journey.close()
    discarded = run_journey("rebuild", "--discard", env=env)
    assert discarded.returncode == 0, discarded.stderr
    assert "discarded the partial rebuild (it had reached position 20)" in discarded.stdout
    nothing = run_journey("rebuild", "--discard", env=env)
    assert "no partial rebuild to discard" in nothing.stdout


def test_rebuild_resumes_a_partial_rebuild_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/resume.sqlite"
    env = environment(url, JOURNEY_CLOCK=DAY)
    assert run_journey("demo", "--customers", "5", env=env).returncode == 0
    journey = bootstrap(Settings(database_url=url, clock=DAY))
    try:
        rebuild(journey, page_size=30, stopping=lambda: True)
    finally:
        journey.close()

    resumed = run_journey("rebuild", env=env)

    assert resumed.returncode == 0, resumed.stderr
    assert "resuming the partial rebuild from position 30" in resumed.stdout
    assert "switched them in" in resumed.stdout
    # One view alone: its own partial rebuild, discarded by name; then rebuilt and switched in.
    journey = bootstrap(Settings(database_url=url, clock=DAY))
    try:
        head = journey.service.head()
        rebuild(journey, view="support", page_size=25, stopping=lambda: True)
    finally:
        journey.close()
    assert "no partial rebuild to discard" in run_journey("rebuild", "--discard", env=env).stdout
    dropped = run_journey("rebuild", "--view", "support", "--discard", env=env)
    assert "discarded the partial rebuild (it had reached position 25)" in dropped.stdout
    billing = run_journey("rebuild", "--view", "billing", env=env)
    assert billing.returncode == 0, billing.stderr
    assert f"rebuilt the billing view from {head} events and switched it in; views at position {head}" \
        in billing.stdout
    assert "rebuilding the billing view" in billing.stderr
    unknown = run_journey("rebuild", "--view", "ledger", env=env)
    assert unknown.returncode == 2 and "invalid choice: 'ledger'" in unknown.stderr
