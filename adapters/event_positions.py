"""Where one stored event sits in the stream, looked up by its aggregate and version."""

from __future__ import annotations

from typing import Any
from uuid import UUID


def event_position(recorder: Any, originator_id: UUID, version: int) -> int | None:
    """The position (notification id) of the event ``version`` of ``originator_id`` in the
    journey recorder's events table (adapters.write_store); None when it is not stored."""
    m = recorder.mark
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(
            f"SELECT {recorder.position_column} AS position FROM {recorder._events_table()} "  # noqa: S608, SLF001
            f"WHERE originator_id = {m} AND originator_version = {m}",
            (recorder._as_key(originator_id), version),  # noqa: SLF001
        )
        row = c.fetchone()
    return None if row is None else int(row["position"])
