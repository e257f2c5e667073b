"""Page cursors: opaque to clients, naming the list they continue, so a cursor of one list is
refused by another (422 ``invalid-cursor``) instead of silently paging the wrong rows."""

from __future__ import annotations

import base64
import binascii


class InvalidCursorError(ValueError):
    """A page cursor that no page of this list answered."""


def encode_cursor(name: str, sort_key: str) -> str:
    """An opaque cursor: the list's name and the last sort key of a page."""
    return base64.urlsafe_b64encode(f"{name}\n{sort_key}".encode()).decode().rstrip("=")


def decode_cursor(name: str, cursor: str) -> str:
    """The sort key a cursor of list ``name`` continues after; InvalidCursorError for any
    other string (including a cursor of another list)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError):
        text = ""
    owner, newline, sort_key = text.partition("\n")
    if owner != name or not newline or not sort_key:
        raise InvalidCursorError(f"the cursor is not one a page of {name} answered")
    return sort_key
