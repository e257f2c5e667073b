"""Reading view documents back: they are stored as JSON text (written by the standard library's
encoder), and decoding them is the largest part of a read of many documents (a campaign over
every customer, a page of a worklist, loading a batch's documents to fold into). orjson decodes
the same text into the same values (strings, integers, lists, objects, booleans, null) about
twice as fast (docs/benchmarks.md, issue 10)."""

from __future__ import annotations

from typing import Any

import orjson


def load_doc(body: str | bytes) -> Any:
    """One stored document (or journey entry) as Python values."""
    return orjson.loads(body)
