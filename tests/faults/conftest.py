"""A PostgreSQL cluster of the campaign's own, so that it may be restarted under a server."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from tests.support.postgres import restartable_server


@pytest.fixture
def restartable_postgres() -> Iterator[tuple[str, Callable[[], None]]]:
    """The URL of a throwaway server and a function restarting it; skips without local binaries."""
    with contextlib.ExitStack() as stack:
        try:
            cluster = stack.enter_context(restartable_server())
        except LookupError as missing:
            pytest.skip(f"restarting PostgreSQL needs a cluster of our own: {missing}")
        yield cluster
