"""The workers' liveness file: a beat records the time, a check says whether it is recent enough."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.heartbeat import Heartbeat, check, last_beat
from services.settings import Settings

AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def test_a_fresh_beat_passes_the_check(tmp_path: Path) -> None:
    path = tmp_path / "journey.alive"

    Heartbeat(path).beat(now=AT)

    assert last_beat(path) == AT
    assert check(path, 30, now=AT + timedelta(seconds=30)) is None
    assert not (tmp_path / "journey.alive.tmp").exists()  # written aside, then renamed over the file


def test_a_beat_without_a_time_records_the_current_utc_time(tmp_path: Path) -> None:
    path = tmp_path / "journey.alive"
    before = datetime.now(UTC)

    Heartbeat(str(path)).beat()

    recorded = last_beat(path)
    assert recorded is not None and before <= recorded <= datetime.now(UTC)


def test_a_stale_beat_fails_the_check_saying_how_old_it_is(tmp_path: Path) -> None:
    path = tmp_path / "journey.alive"
    Heartbeat(path).beat(now=AT)

    reason = check(path, 30, now=AT + timedelta(seconds=42))

    assert reason is not None and reason.startswith("last heartbeat 42 s ago")


def test_each_beat_replaces_the_last(tmp_path: Path) -> None:
    path = tmp_path / "journey.alive"
    heartbeat = Heartbeat(path)
    heartbeat.beat(now=AT)

    heartbeat.beat(now=AT + timedelta(minutes=5))

    assert check(path, 30, now=AT + timedelta(minutes=5, seconds=10)) is None


def test_a_missing_file_fails_the_check(tmp_path: Path) -> None:
    reason = check(tmp_path / "never.alive", 30, now=AT)

    assert reason is not None and reason.startswith("no heartbeat file")


def test_a_file_without_a_time_fails_the_check(tmp_path: Path) -> None:
    path = tmp_path / "journey.alive"
    path.write_text("garbage\n")

    reason = check(path, 30, now=AT)

    assert reason is not None and "no readable time" in reason


def test_an_unwritable_place_does_not_raise_and_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A directory that does not exist cannot be written even by a superuser.
    heartbeat = Heartbeat(tmp_path / "missing-directory" / "journey.alive")

    with caplog.at_level(logging.DEBUG, logger="services.heartbeat"):
        heartbeat.beat(now=AT)
        heartbeat.beat(now=AT)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "heartbeat file" in warnings[0].getMessage()


def test_without_a_path_beating_does_nothing(tmp_path: Path) -> None:
    heartbeat = Heartbeat(None)

    heartbeat.beat(now=AT)

    assert heartbeat.path is None and list(tmp_path.iterdir()) == []


def test_the_heartbeat_file_is_a_setting_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNEY_HEARTBEAT_FILE", raising=False)
    assert Settings().heartbeat_file is None
    monkeypatch.setenv("JOURNEY_HEARTBEAT_FILE", "/run/journey.alive")
    assert Settings().heartbeat_file == "/run/journey.alive"
