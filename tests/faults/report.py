"""The fault campaign's figures: each run records them in ``var/reliability/faults-<store>.json``;
``python -m tests.faults.report`` prints them as a markdown table (for docs/reliability.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIGURES = Path(__file__).resolve().parents[2] / "var" / "reliability"

#: (key, label) of each row of the table, in order.
ROWS = (
    ("date", "date"),
    ("rounds", "rounds"),
    ("kills_survived", "SIGKILLs of the API survived"),
    ("postgres_restarts", "PostgreSQL restarts while serving"),
    ("requests_sent", "requests sent (POST /events, batches of 6)"),
    ("requests_unanswered", "requests without an answer (connection lost)"),
    ("unanswered_at_kills", "batches unanswered at a kill: stored whole / absent"),
    ("acknowledged_events", "acknowledged events"),
    ("events_stored", "events stored"),
    ("events_lost", "acknowledged events lost"),
    ("events_doubled", "events stored twice"),
    ("partial_batches", "batches stored in part"),
    ("server_errors_in_outages", "5xx answers during an outage"),
    ("server_errors_otherwise", "5xx answers otherwise"),
    ("views_equal_rebuild", "views equal a rebuild"),
    ("recovery_seconds_max", "recovery time, max (s)"),
    ("recovery_seconds_median", "recovery time, median (s)"),
)


def record(figures: dict[str, Any]) -> Path:
    """Keep one campaign's figures in its store's file (other campaigns' figures stay)."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / f"faults-{figures['store']}.json"
    everything = json.loads(path.read_text()) if path.exists() else {"store": figures["store"], "campaigns": {}}
    everything["campaigns"][figures["campaign"]] = figures
    path.write_text(json.dumps(everything, indent=2, sort_keys=True) + "\n")
    return path


def load(directory: Path = FIGURES) -> list[dict[str, Any]]:
    """Every recorded campaign, by store then campaign."""
    found = []
    for path in sorted(directory.glob("faults-*.json")):
        found += [c for _, c in sorted(json.loads(path.read_text())["campaigns"].items())]
    return found


def table(campaigns: list[dict[str, Any]]) -> str:
    """A markdown table: one row per figure, one column per store and campaign."""
    heads = [f"{c['store']}: {c['campaign']}" for c in campaigns]
    lines = ["| figure | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(heads)]
    for key, label in ROWS:
        lines.append(f"| {label} | " + " | ".join(_cell(c.get(key)) for c in campaigns) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list):
        return " / ".join(str(v) for v in value)
    return str(value)


def hostile_table(figures: dict[str, Any]) -> str:
    """The hostile-input campaign's figures (``var/reliability/hostile.json``) as a markdown table."""
    lines = ["| kind | requests | accepted | refused | 5xx | stored from a refused request | statuses |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for kind, row in sorted(figures["kinds"].items()):
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(row["statuses"].items()))
        lines.append(f"| {kind} | {row['requests']} | {row['accepted']} | {row['refused']} | {row['server_errors']} "
                     f"| {row['stored_from_refused']} | {statuses} |")
    total = figures["total"]
    lines.append(f"| **total** | {total['requests']} | {total['accepted']} | {total['refused']} | "
                 f"{total['server_errors']} | {total['stored_from_refused']} | |")
    return "\n".join(lines)


def main() -> None:
    campaigns = load()
    print(table(campaigns) if campaigns else f"no figures in {FIGURES}: run `make test-faults` first")
    hostile = FIGURES / "hostile.json"
    if hostile.exists():
        figures = json.loads(hostile.read_text())
        print(f"\nhostile input, {figures['examples_per_property']} examples per property:\n")
        print(hostile_table(figures))


if __name__ == "__main__":
    main()
