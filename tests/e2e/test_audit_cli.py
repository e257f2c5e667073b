"""`journey checkpoint`, `journey verify` and `journey chain` as an operator runs them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.e2e.test_cli import environment, run_journey

DAY = "2026-03-10T09:00:00+00:00"


def test_verify_holds_on_an_untouched_store_and_names_the_first_altered_position(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/audit.sqlite"
    env = environment(url, JOURNEY_CLOCK=DAY)
    assert run_journey("demo", "--customers", "5", env=env).returncode == 0
    # 1. A checkpoint, kept in a file; more writes; the stream still extends it.
    taken = run_journey("checkpoint", "--out", str(tmp_path / "checkpoint.json"), env=env)
    assert taken.returncode == 0, taken.stderr
    point = json.loads((tmp_path / "checkpoint.json").read_text())
    assert point["hash"] in taken.stdout and f"position {point['position']}" in taken.stdout
    assert run_journey("demo", "--customers", "8", env=env).returncode == 0
    held = run_journey("verify", "--checkpoint", str(tmp_path / "checkpoint.json"), env=env)
    assert held.returncode == 0, held.stderr
    assert "hash chain" in held.stdout and "all checks hold" in held.stdout
    # 2. An event before the checkpoint altered in the database: exit 1, naming its position.
    with sqlite3.connect(tmp_path / "audit.sqlite") as db:
        db.execute("UPDATE stored_events SET state = x'7b7d' WHERE rowid = 7")
    failed = run_journey("verify", "--checkpoint", str(tmp_path / "checkpoint.json"), "--json", env=env)
    assert failed.returncode == 1
    assert "first bad position 7" in failed.stderr and "Traceback" not in failed.stderr
    report = json.loads(failed.stdout)
    assert report["ok"] is False and report["first_bad_position"] == 7
    # The chain names the position; the views rebuilt from the altered event differ from the live ones.
    assert [(c["name"], c["ok"]) for c in report["checks"]] == [
        ("hash chain", False), ("checkpoint", False), ("views", False), ("decisions", True)]


def test_a_store_from_before_the_chain_is_sealed_once_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.sqlite"
    env = environment(url, JOURNEY_CLOCK=DAY)
    assert run_journey("demo", "--customers", "3", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "old.sqlite") as db:  # as written before the chain existed
        db.execute("DELETE FROM journey_chain")
        head = db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]

    unsealed = run_journey("verify", env=env)
    refused = run_journey("checkpoint", env=env)
    sealed = run_journey("chain", "--seal", env=env)

    assert unsealed.returncode == 1 and f"positions 1..{head}" in unsealed.stdout
    assert "journey chain --seal" in unsealed.stdout
    assert refused.returncode != 0 and "journey chain --seal" in refused.stderr
    assert sealed.returncode == 0 and f"chained {head} events" in sealed.stdout
    assert f"reaches position {head} of {head}" in sealed.stdout
    assert run_journey("verify", env=env).returncode == 0
