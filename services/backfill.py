"""Links beside the stream that a later version added, filled once from the stream.

The contact rule reads a customer's open complaints through the ``customer-complaint`` link,
written with every complaint filed since; the complaints filed before it are linked here, once
per store, from their ``Complaint.Filed`` events (the log filtered by topic, so only those are
read and decoded). A marker link records that it ran; a rerun of a half-done back-fill links
what is missing and nothing twice.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from adapters.write_store import Link
from domain.complaint import Complaint
from services.handlers import CUSTOMER_COMPLAINT

#: The relation of the markers: owner the relation back-filled, member ``DONE``.
BACKFILLED, DONE = "backfilled", "done"
PAGE = 5000


def backfill_customer_complaints(app: Any) -> int:
    """Link every complaint recorded before the link existed to its customer; returns how many
    complaints were read (0 when the back-fill ran before)."""
    recorder = app.recorder
    if recorder.members(BACKFILLED, CUSTOMER_COMPLAINT):
        return 0
    topics = [get_topic(Complaint.__dict__["Filed"])]  # the class the @event decorator made
    after, read = 0, 0
    while True:
        page = recorder.select_notifications(start=after, limit=PAGE, topics=topics, inclusive_of_start=False)
        if not page:
            break
        events = app.mapper.to_domain_events(page)
        recorder.add_links([Link(CUSTOMER_COMPLAINT, e.customer_id, e.complaint_id) for e in events])
        read += len(page)
        after = page[-1].id
    recorder.add_links([Link(BACKFILLED, CUSTOMER_COMPLAINT, DONE)])
    return read
