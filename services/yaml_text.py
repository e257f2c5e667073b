"""A small YAML writer for generated documents (plain data: dicts, lists, strings, numbers,
booleans, None), so they read well and diff line by line. Keys keep their order; a string that
could be read as anything else is written as a JSON string, which YAML reads the same."""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"[A-Za-z$/][A-Za-z0-9 _./$()+,-]*")
_RESERVED = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        plain = _PLAIN.fullmatch(value) and not value.endswith(" ") and value.lower() not in _RESERVED
        return value if plain else json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _block(text: str) -> bool:
    """Whether ``text`` reads back unchanged as a literal block (``|-``)."""
    lines = text.split("\n")
    return (
        len(lines) > 1 and bool(lines[0]) and not lines[0][0].isspace() and not text.endswith("\n")
        and all(line.isprintable() and line == line.rstrip() for line in lines)
    )


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{_scalar(str(key))}:"
            if isinstance(item, dict | list) and item:
                out += [head, *_lines(item, indent + 2)]
            elif isinstance(item, str) and _block(item):
                out += [f"{head} |-", *(f"{pad}  {line}" if line else "" for line in item.split("\n"))]
            else:
                out.append(f"{head} {_inline(item)}")
        return out
    for item in value:
        if isinstance(item, dict) and item:
            first, *rest = _lines(item, indent + 2)
            out += [f"{pad}- {first.lstrip()}", *rest]
        elif isinstance(item, list) and item:
            out += [f"{pad}-", *_lines(item, indent + 2)]
        else:
            out.append(f"{pad}- {_inline(item)}")
    return out


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def dump(document: dict[str, Any]) -> str:
    """``document`` as block-style YAML text ending in a newline."""
    return "\n".join(_lines(document, 0)) + "\n"
