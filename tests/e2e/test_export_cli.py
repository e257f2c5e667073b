"""``journey export`` as an operator answers a person's request for his data (right of access)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import environment, run_journey


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_export_command_writes_the_persons_history_and_views(database_url: str, tmp_path: Path) -> None:
    env = environment(database_url, JOURNEY_CLOCK="2026-03-02T09:00:00+00:00")
    assert run_journey("demo", "--customers", "5", env=env).returncode == 0
    out = tmp_path / "hw-1001.json"
    done = run_journey("export", "hw-1001", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["customer_id"] == "hw-1001"
    assert document["events"][0]["type"] == "Customer.Registered"
    assert document["views"]["billing"]["invoices"][0]["invoice_id"] == "INV-1001"
    assert "exported" in done.stderr and str(document["position"]) in done.stderr
    printed = run_journey("export", "hw-1001", env=env)
    assert json.loads(printed.stdout)["events"] == document["events"]
    unknown = run_journey("export", "nobody", env=env)
    assert unknown.returncode != 0 and "customer 'nobody' is unknown" in unknown.stderr
