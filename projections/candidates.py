"""The dunning candidates table: per invoice, what finding candidates by date needs.

A row is derived from billing's documents after the fold, through the hold rule itself, and
only pre-filters: a read still confirms each invoice it finds with the rule
(``read_models.invoice_view``). A row never excludes an invoice the rule would allow:

- ``next_eligible_on``: the first day the due date and every deferral allow a step;
- ``last_dunning_on``: the day of the last step (the minimum interval is policy, so it is
  applied when reading, see ``dunned_by``);
- ``dunnable``: the rule allows a step (a dunning level or the hand-off) on some day, once those
  dates and the interval have passed, i.e. the invoice is open and nothing but time holds it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.holds import DunningPolicy, dunning_refusals, earliest_step_day
from projections.batch import Doc
from projections.read_models import standing

#: The rule without a minimum interval: whether anything but time refuses a step.
_NO_INTERVAL = DunningPolicy(min_interval=timedelta(0))


@dataclass(frozen=True)
class CandidateRow:
    """One invoice in the candidates table; ``key`` is the invoice's aggregate id (hex)."""

    key: str
    customer_id: str
    invoice_id: str
    next_eligible_on: str
    last_dunning_on: str | None
    dunnable: bool


def candidate_row(key: str, invoice: Doc, open_complaints: list[str]) -> CandidateRow:
    """The row of one billing invoice document, given the complaints open on its order."""
    facts = standing(invoice, open_complaints)
    eligible = earliest_step_day(facts)
    # Every refusal that time does not lift is the same on ``day`` as on any later day.
    day = max(eligible, facts.last_dunning_on or eligible)
    dunnable = not dunning_refusals(facts, day, _NO_INTERVAL) or not dunning_refusals(
        facts, day, _NO_INTERVAL, hand_off=True
    )
    return CandidateRow(
        key=key,
        customer_id=invoice["customer_id"],
        invoice_id=invoice["invoice_id"],
        next_eligible_on=eligible.isoformat(),
        last_dunning_on=invoice["last_dunning_on"],
        dunnable=dunnable,
    )


def candidate_rows(billing: Iterable[tuple[str, Doc]]) -> list[CandidateRow]:
    """The rows of every invoice among billing's ``(key, document)`` pairs, which must include
    every complaint on those invoices' orders (all billing documents of their customers)."""
    docs = list(billing)
    open_complaints: dict[str, list[str]] = defaultdict(list)
    for _, doc in docs:
        if doc["kind"] == "complaint" and doc["open"]:
            open_complaints[doc["order_id"]].append(doc["complaint_id"])
    return [
        candidate_row(key, doc, open_complaints.get(doc["order_id"], []))
        for key, doc in docs
        if doc["kind"] == "invoice"
    ]


def dunned_by(today: date, policy: DunningPolicy) -> date:
    """The latest day of a last step after which ``policy``'s minimum interval has passed on
    ``today`` (``dunning_refusals``: a step is refused before last step + interval)."""
    return today - policy.min_interval
