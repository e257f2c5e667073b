"""The department views folded together: each batch of events is folded into billing, support,
journey and customers and committed with one tracking position, so every department always reads the
same position of the stream."""

from __future__ import annotations

from collections.abc import Sequence

from projections import billing, customers, erasure, journey, loyalty, marketing, support
from projections.batch import Batch, Fold, Positioned

MAPPERS = (
    billing.project, support.project, journey.project, customers.project, marketing.project, loyalty.project,
    erasure.project,
)
VIEWS = (billing.VIEW, support.VIEW, journey.VIEW, customers.VIEW, marketing.VIEW, loyalty.VIEW)


def fold(batch: Batch, events: Sequence[Positioned]) -> None:
    """Fold ``(event, position)`` pairs, in stream order, into every view (no I/O)."""
    for event, position in events:
        for mapper in MAPPERS:
            mapper(batch, event, position)


def fold_of(view: str) -> Fold:
    """The fold of ``view`` alone, for rebuilding it by itself: its own mapper, then erasure's
    (which scrubs whatever documents the batch holds of an erased customer). No view's mapper
    reads another view's documents when folding from the start of the stream: the journey's
    falls back on billing's and support's only for owner documents projected before they kept
    their ids, and a rebuild creates every owner with them."""
    own = {billing.VIEW: billing.project, support.VIEW: support.project, journey.VIEW: journey.project,
           customers.VIEW: customers.project, marketing.VIEW: marketing.project, loyalty.VIEW: loyalty.project}
    if view not in own:
        raise ValueError(f"unknown view {view!r}: one of {', '.join(VIEWS)}")
    mappers = (own[view], erasure.project)

    def fold_one(batch: Batch, events: Sequence[Positioned]) -> None:
        for event, position in events:
            for mapper in mappers:
                mapper(batch, event, position)

    return fold_one
