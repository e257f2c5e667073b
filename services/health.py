"""Liveness and readiness of a journey process, as an orchestrator asks for them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from projections.encoding import jsonable
from services.bootstrap import Journey


def readiness(journey: Journey) -> tuple[bool, dict[str, Any]]:
    """Whether the process should get traffic, with what that depends on: the stream's head,
    the views' position and lag, the in-process projector's state, and what is wrong if
    anything. Not ready while the store is unreachable, the projector backs off after an error,
    the views lag more than ``ready_max_lag`` positions, or they are ahead of the stream (a read
    store kept beside a replaced event store)."""
    state = None if journey.thread is None else journey.thread.state  # one look: it changes
    projector: dict[str, Any] = (
        {"mode": "external"} if state is None else {"mode": "in-process", **jsonable(asdict(state))}
    )
    if journey.settings.projector_source == "kafka":
        projector = {"mode": "kafka", "topic": journey.settings.kafka_events_topic}
    body: dict[str, Any] = {"head": None, "position": None, "lag": None, "projector": projector, "error": None}
    try:
        body["position"] = journey.reads.position()  # first: the head read after it is never lower
        body["head"] = journey.service.head()
    except Exception as error:  # noqa: BLE001 -- whatever fails, the store cannot be used
        body["error"] = f"the store is unreachable: {error!r}"
        return False, body
    body["lag"] = lag = body["head"] - body["position"]
    if lag < 0:
        body["error"] = (f"the views reflect position {body['position']}, beyond the stream's head {body['head']}: "
                         "they were projected from another store; rebuild them from this one")
    elif state is not None and state.status == "backing-off":
        body["error"] = f"the projector is failing: {state.last_error}"
    elif lag > journey.settings.ready_max_lag:
        body["error"] = f"the views lag {lag} positions behind the stream (at most {journey.settings.ready_max_lag})"
    return body["error"] is None, body
