"""Rules of the layering that import-linter cannot express (it sees external packages whole)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add((path.name, node.module))
            elif isinstance(node, ast.Import):
                found.update((path.name, alias.name) for alias in node.names)
    return found


def test_the_domain_uses_only_the_library_s_domain_module() -> None:
    library = {(f, m) for f, m in imported_modules("domain") if m.split(".")[0] == "eventsourcing"}
    assert library, "the domain is expected to build on eventsourcing.domain"
    assert {m for _, m in library} == {"eventsourcing.domain"}, library


@pytest.mark.parametrize("storage", ["eventsourcing.postgres", "eventsourcing.sqlite", "eventsourcing.application"])
def test_projections_do_not_reach_storage_or_applications(storage: str) -> None:
    assert not {(f, m) for f, m in imported_modules("projections") if m.startswith(storage)}
