"""How to fix a refused input, in words: one hint per pydantic error.

Pydantic says what is wrong ("Input should be a valid date or datetime, input is too short");
the sender wants to know what to send instead ("dates are written YYYY-MM-DD"). Used for
department requests (services/api/validation.py) and CloudEvents (adapters/cloudevents.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.schemas import ID_PATTERN, TEXT_PATTERN

_OBJECT_TYPES = {"model_attributes_type", "model_type", "dict_type"}
_DATE_TYPES = {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}
_DATETIME_TYPES = {"datetime_type", "datetime_parsing", "datetime_from_date_parsing"}
_NUMBER_TYPES = {"decimal_parsing", "decimal_type", "float_parsing", "float_type"}


def field_name(location: Sequence[str | int]) -> str:
    """``("body", "lines", 0, "amount")`` -> ``lines[0].amount``; the header's own name for headers."""
    where, path = (location[0], location[1:]) if location else ("body", ())
    if where == "header" and path:
        return "-".join(part.capitalize() for part in str(path[0]).split("-"))
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(where)


def hint(error: Mapping[str, Any], content_type: str) -> str:  # noqa: PLR0911, PLR0912 -- one answer per kind
    """How to fix the request that caused ``error`` (one pydantic error), in words."""
    kind, location = error["type"], list(error["loc"])
    field, ctx, value = field_name(location), error.get("ctx") or {}, error.get("input")
    if kind == "json_invalid":
        return f"send valid JSON ({ctx.get('error', error['msg'])})"
    if kind in _OBJECT_TYPES and location == ["body"]:
        if not _is_json(content_type):
            return "send Content-Type: application/json with a JSON object as the body"
        return "send a JSON object as the body"
    if kind == "missing":
        if location[:1] == ["header"]:
            return f"send the {field} header"
        return "send a JSON object as the body" if location == ["body"] else f"{field} is required"
    if kind in _DATE_TYPES:
        return f"{field}: dates are written YYYY-MM-DD, e.g. 2026-04-01"
    if kind in _DATETIME_TYPES:
        return f"{field}: times are written in ISO 8601 with an offset, e.g. 2026-04-01T09:30:00Z"
    if kind in _NUMBER_TYPES:
        if isinstance(value, str) and "," in value:
            return f"{field}: write amounts with a decimal point, not a comma (12.50, not 12,50)"
        return f"{field}: write amounts as a decimal number in a string, e.g. \"12.50\""
    if kind == "decimal_max_places":
        return f"{field}: at most {ctx.get('decimal_places')} decimal places"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return f"{field} must be a whole number"
    if kind == "extra_forbidden":
        return f"{field} is not a field of this request; remove it"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return f"{field} must not be empty"
    if kind == "string_too_long":
        return f"{field} is at most {ctx.get('max_length')} characters long"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in (ID_PATTERN, TEXT_PATTERN):
        return f"{field} must not contain control characters"
    message = str(error["msg"]).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    return f"{field}: {message}" if len(location) > 1 else message


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")
