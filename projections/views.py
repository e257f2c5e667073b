"""The department views folded together: each batch of events is folded into billing, support,
journey and customers and committed with one tracking position, so every department always reads the
same position of the stream."""

from __future__ import annotations

from collections.abc import Sequence

from projections import billing, customers, erasure, journey, support
from projections.batch import Batch, Positioned

MAPPERS = (billing.project, support.project, journey.project, customers.project, erasure.project)
VIEWS = (billing.VIEW, support.VIEW, journey.VIEW, customers.VIEW)


def fold(batch: Batch, events: Sequence[Positioned]) -> None:
    """Fold ``(event, position)`` pairs, in stream order, into every view (no I/O)."""
    for event, position in events:
        for mapper in MAPPERS:
            mapper(batch, event, position)
