"""Documents are written by the standard library's encoder and read back by orjson
(adapters/documents.py, ADR 0021): the values read are the ones written."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from adapters.documents import load_doc
from adapters.read_store import _dumps

SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text()
           | st.floats(allow_nan=False, allow_infinity=False))
DOCS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=20)


@given(DOCS)
def test_a_document_reads_back_as_it_was_written(doc):
    text = _dumps(doc)

    assert load_doc(text) == json.loads(text) == doc
