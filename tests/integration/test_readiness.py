"""Readiness tells the truth about views that do not belong to the stream."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from domain import commands as c
from domain.values import Department, Principal
from services.bootstrap import bootstrap
from services.clock import FixedClock
from services.health import readiness
from services.settings import Settings


def test_views_ahead_of_the_stream_are_not_ready(tmp_path: Path) -> None:
    """An event store replaced (here: its SQLite file deleted) while its read store stayed: the
    views reflect positions the stream does not have, so the process must not get traffic."""
    url = f"sqlite:///{tmp_path}/journey.sqlite"
    clock = FixedClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    journey = bootstrap(Settings(database_url=url), clock)
    try:
        for n in range(3):
            journey.service.execute(c.RegisterCustomer(f"c{n}", "Ann", "ann@example.org"), Principal(Department.SALES, "sid"))
        journey.projector.catch_up()
        assert readiness(journey)[0]
    finally:
        journey.close()
    (tmp_path / "journey.sqlite").unlink()

    journey = bootstrap(Settings(database_url=url), clock)
    try:
        ready, body = readiness(journey)
    finally:
        journey.close()

    assert not ready
    assert (body["head"], body["position"], body["lag"]) == (0, 3, -3)
    assert "beyond the stream's head" in body["error"]
