"""compose.yaml stays in step with the code: every command it runs exists, every worker is
health-checked, and nothing starts before what it needs is healthy."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from services import cli

ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = {"postgres", "kafka"}  # images of others, with health checks of their own
# What the set-up is expected to run; `journey relay` and `journey project --source kafka` are the
# outbound relay and the Kafka-fed projector of the Kafka issue (items 2 and 3).
EXPECTED_COMMANDS = {
    "api": "journey serve --host 0.0.0.0 --port 8000 --workers 2",
    "ingest": "journey ingest",
    "relay": "journey relay",
    "projector": "journey project --source kafka",
}


class _Captured(Exception):
    pass


def journey_parser() -> argparse.ArgumentParser:
    """The parser `journey` builds in ``services.cli.main``, captured before it parses anything."""
    captured: list[argparse.ArgumentParser] = []

    def capture(parser: argparse.ArgumentParser, *_: object, **__: object) -> None:
        captured.append(parser)
        raise _Captured

    with mock.patch.object(argparse.ArgumentParser, "parse_args", capture), pytest.raises(_Captured):
        cli.main([])
    return captured[0]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_runs_the_store_the_broker_the_api_and_the_three_workers(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == INFRASTRUCTURE | set(EXPECTED_COMMANDS)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    for name, expected in EXPECTED_COMMANDS.items():
        assert command_of(services[name]) == expected.split(), name


def test_every_journey_command_in_compose_is_one_the_cli_accepts(compose: dict[str, Any]) -> None:
    parser = journey_parser()
    commands = [command_of(s) for s in compose["services"].values() if "command" in s]
    commands += [s["healthcheck"]["test"][1:] for s in compose["services"].values()
                 if "healthcheck" in s and s["healthcheck"]["test"][:2] == ["CMD", "journey"]]
    assert len(commands) >= len(EXPECTED_COMMANDS) + 3  # the workers' `journey alive` checks too
    refused = []
    for command in commands:
        if command[0] != "journey":
            continue
        try:
            parser.parse_args(command[1:])
        except SystemExit:
            refused.append(shlex.join(command))
    assert refused == [], f"compose.yaml runs commands `journey` does not accept: {refused}"


def test_every_service_of_ours_is_health_checked_and_runs_from_our_image(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert "healthcheck" in service, name
        if name not in INFRASTRUCTURE:
            assert service["build"] == ".", name
            assert service["restart"] == "unless-stopped", name


def test_nothing_starts_before_what_it_depends_on_is_healthy(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for needed, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, f"{name} -> {needed}"
            assert "healthcheck" in compose["services"][needed], needed


def test_the_workers_beat_where_their_health_check_looks(compose: dict[str, Any]) -> None:
    for name in ("ingest", "relay", "projector"):
        service = compose["services"][name]
        environment = service["environment"]
        assert environment["JOURNEY_HEARTBEAT_FILE"] in service["healthcheck"]["test"], name
        assert environment["JOURNEY_KAFKA_BOOTSTRAP"] == "kafka:9092", name
        assert set(service["depends_on"]) == INFRASTRUCTURE, name


def test_projectors_can_be_scaled_out(compose: dict[str, Any]) -> None:
    projector = compose["services"]["projector"]
    assert "container_name" not in projector and "ports" not in projector
    assert projector["environment"]["JOURNEY_PROJECTOR_SOURCE"] == "kafka"
    assert compose["services"]["api"]["environment"]["JOURNEY_PROJECTOR_SOURCE"] == "kafka"
    assert compose["services"]["api"]["environment"]["JOURNEY_PROJECT_IN_PROCESS"] == "false"
