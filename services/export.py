"""The right of access: everything the journey holds about one person, as one JSON document.

The document carries the person's whole history (every stored event of the customer's
aggregates, decoded as the projector sees it) and the current department views (billing, support, marketing, loyalty, journey), read at the same moment; the export is recorded in the access log like every read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.errors import UnknownError
from projections.erasure import ERASURE
from services.reads import AsOf

if TYPE_CHECKING:
    from services.bootstrap import Journey


def export(journey: Journey, customer_id: str, min_position: int | None = None, *, catch_up: bool = False) -> dict[str, Any]:
    """The customer's history and views (``catch_up``: bring the views to the head first, as a
    command-line run must); UnknownError when the views do not know the customer."""
    if catch_up:
        journey.catch_up_views()
    if not journey.reads.knows(customer_id):
        raise UnknownError("customer", customer_id)
    views = journey.reads.views(customer_id, min_position)
    position = views["position"]  # the history up to the position the views reflect, no further
    events = journey.audit.as_json(journey.audit.customer_events(customer_id, position))
    erased = next((e["position"] for e in events if e["type"] == ERASURE), None)
    return {
        "customer_id": customer_id,
        "exported_at": journey.clock.now().isoformat(),
        "position": position,
        "erased_at_position": erased,
        "events": events,
        "views": {
            "billing": views["billing"], "support": views["support"], "marketing": views["marketing"],
            "loyalty": views["loyalty"],
            "journey": journey.reads.journey(customer_id, as_of=AsOf(position)),
        },
    }
