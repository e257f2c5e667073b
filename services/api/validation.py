"""Turn a refused request's validation errors into details a person can act on.

Pydantic says what is wrong ("Input should be a valid date or datetime, input is too short");
the client's developer wants to know what to send instead ("dates are written YYYY-MM-DD").
Each error keeps its machine-readable ``location``, ``message`` and ``type`` and gains a ``hint``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.hints import hint

_SHOWN_HINTS = 3


@dataclass(frozen=True)
class Refusal:
    """What to answer: status, problem code, a detail in words, the errors with hints."""

    status: int
    code: str
    detail: str
    errors: list[dict[str, Any]]


def explain(errors: Sequence[Mapping[str, Any]], content_type: str) -> Refusal:
    """The answer to a request refused by validation: 400 ``malformed-json`` for a body that is not JSON, else
    422 ``invalid-request``; the detail joins the first hints."""
    described = [
        {"location": list(e["loc"]), "message": e["msg"], "type": e["type"], "hint": hint(e, content_type)}
        for e in errors
    ]
    hints = list(dict.fromkeys(e["hint"] for e in described))
    detail = "; ".join(hints[:_SHOWN_HINTS]) + (f" (and {len(hints) - _SHOWN_HINTS} more)" if len(hints) > _SHOWN_HINTS else "")
    if any(e["type"] == "json_invalid" for e in described):
        return Refusal(400, "malformed-json", detail, described)
    return Refusal(422, "invalid-request", detail, described)
