"""Configuration from the environment reaches the behaviour it names."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from domain import commands as c
from domain.errors import DomainError, DunningRefusedError
from domain.values import Department, Money, OrderLine, Principal
from services.bootstrap import bootstrap
from services.settings import Settings

BILLING = Principal(Department.BILLING, user="bea")


def test_the_business_clock_and_the_dunning_interval_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    # 1. A fixed business day and a 7-day interval between dunning steps.
    monkeypatch.setenv("JOURNEY_DATABASE_URL", f"sqlite:///{tmp_path}/settings.sqlite")
    monkeypatch.setenv("JOURNEY_CLOCK", "2026-03-20T09:00:00Z")
    monkeypatch.setenv("JOURNEY_DUNNING_MIN_INTERVAL_DAYS", "7")
    journey = bootstrap(Settings())
    try:
        assert journey.clock.now() == datetime(2026, 3, 20, 9, tzinfo=UTC)
        service = journey.service
        service.execute(c.RegisterCustomer("c1", "Ann", "ann@example.org"), BILLING)
        service.execute(c.PlaceOrder("c1", "o1", (OrderLine("S", "tools", 1, "10"),), "EUR"), BILLING)
        service.execute(c.IssueInvoice("c1", "i1", "o1", Money("10", "EUR"), date(2026, 3, 1)), BILLING)
        assert service.execute(c.DunInvoice("i1"), BILLING).answer["level"] == 1

        # 2. Six days later the next step is refused; on the seventh it is allowed.
        journey.clock.set(datetime(2026, 3, 26, 9, tzinfo=UTC))
        with pytest.raises(DunningRefusedError) as refused:
            service.execute(c.DunInvoice("i1"), BILLING)
        assert [r.code for r in refused.value.refusals] == ["interval-not-elapsed"]
        journey.clock.set(datetime(2026, 3, 27, 9, tzinfo=UTC))
        assert service.execute(c.DunInvoice("i1"), BILLING).answer["level"] == 2
    finally:
        journey.close()


def test_a_fixed_clock_is_announced_loudly_at_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("JOURNEY_DATABASE_URL", f"sqlite:///{tmp_path}/clock.sqlite")
    monkeypatch.setenv("JOURNEY_CLOCK", "2026-03-20T09:00:00Z")
    with caplog.at_level(logging.WARNING, logger="services.bootstrap"):
        bootstrap(Settings()).close()
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "JOURNEY_CLOCK" in warning.getMessage() and "2026-03-20T09:00:00+00:00" in warning.getMessage()
    assert "never in production" in warning.getMessage()
    assert "DEMOS AND TESTS ONLY" in Settings.model_fields["clock"].description

    caplog.clear()
    monkeypatch.delenv("JOURNEY_CLOCK")
    with caplog.at_level(logging.WARNING, logger="services.bootstrap"):
        bootstrap(Settings()).close()
    assert caplog.records == []


def test_the_longest_deferral_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("JOURNEY_DATABASE_URL", f"sqlite:///{tmp_path}/deferral.sqlite")
    monkeypatch.setenv("JOURNEY_CLOCK", "2026-03-20T09:00:00Z")
    monkeypatch.setenv("JOURNEY_MAX_DEFERRAL_DAYS", "7")
    journey = bootstrap(Settings())
    try:
        service, today = journey.service, date(2026, 3, 20)
        service.execute(c.RegisterCustomer("c1", "Ann", "ann@example.org"), BILLING)
        service.execute(c.PlaceOrder("c1", "o1", (OrderLine("S", "tools", 1, "10"),), "EUR"), BILLING)
        service.execute(c.IssueInvoice("c1", "i1", "o1", Money("10", "EUR"), date(2026, 4, 1)), BILLING)
        with pytest.raises(DomainError, match="at most 7 days") as refused:
            service.execute(c.GrantDeferral("c1", "i1", today + timedelta(days=8), "a week and a day"), BILLING)
        assert refused.value.code == "deferral-too-long"
        service.execute(c.GrantDeferral("c1", "i1", today + timedelta(days=7), "a week"), BILLING)
    finally:
        journey.close()


def test_settings_refuse_what_they_cannot_mean() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Settings(clock=datetime(2026, 3, 20, 9))
    with pytest.raises(ValueError, match="sqlite"):
        Settings(database_url="mysql://x")
    with pytest.raises(ValueError):
        Settings(dunning_min_interval_days=100_000)
    with pytest.raises(ValueError):
        Settings(max_deferral_days=0)
    with pytest.raises(ValueError):
        Settings(max_clock_skew_seconds=-1)
    with pytest.raises(ValueError, match="heartbeat"):
        Settings(kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=2000)
