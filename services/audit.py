"""What auditors read: pages of the stored stream, one customer's events, and every department
decision explained and checked again against the history it was taken on.

A decision at position ``p`` was checked against exactly the stream up to ``p - 1`` (every write
is appended under the condition that the head did not move since it was decided). Explaining it
rebuilds the invoice and the order's complaints from that customer's events before ``p``,
recomputes the facts the rule reads (domain.provenance), compares them with the facts the
decision recorded, and evaluates the rule again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.complaint import Complaint
from domain.errors import UnknownError
from domain.holds import DunningPolicy
from domain.invoice import Invoice
from domain.provenance import (
    CORRECTION,
    CREDIT_NOTE,
    DECISIONS,
    DEFERRAL,
    DISPUTE_OUTCOME,
    HAND_OFF,
    Facts,
    correction_facts,
    credit_facts,
    deferral_facts,
    dispute_facts,
    dunning_facts,
    explain,
    policy_of,
    violations,
)
from projections.encoding import actor, event_type, jsonable, payload
from services.reads import History

#: How many customers' histories a re-check of every decision keeps at a time.
KEPT_HISTORIES = 256

#: The topics of the decision events, for reading only them from the stream.
DECISION_TOPICS = tuple(get_topic(getattr(Invoice, name.split(".")[1])) for name in DECISIONS)


def event_json(event: Any, position: int) -> dict[str, Any]:
    """A stored event as auditors read it: position, type, aggregate and version, times, who
    acted, its data, and a decision's checked facts."""
    body = {
        "position": position, "type": event_type(event), "originator_id": str(event.originator_id),
        "originator_version": event.originator_version, "recorded_at": event.timestamp.isoformat(),
        "at": event.at.isoformat() if hasattr(event, "at") else None,
        "actor": actor(event) if hasattr(event, "by") else None, "data": payload(event),
    }
    if event_type(event) in DECISIONS:
        body["checked"] = jsonable(getattr(event, "checked", None))
    return body


class NotADecisionError(UnknownError):
    """The position holds no department decision."""

    def __init__(self, position: int) -> None:
        super().__init__("decision", str(position))


@dataclass
class Explanation:
    """A decision, the facts it recorded, the facts recomputed from the history, and the rule."""

    position: int
    event: Any
    kind: str
    customer_id: str
    invoice_id: str
    recorded: Facts | None
    recomputed: Facts
    depends_on: list[int] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found = [f"the rule refuses it: {v}" for v in violations(self.recomputed)]
        if self.recorded is not None and self.recorded != self.recomputed:
            differ = sorted(k for k in self.recorded.keys() | self.recomputed.keys()
                            if self.recorded.get(k) != self.recomputed.get(k))
            found.append(f"the recorded facts differ from the history in {', '.join(differ)}")
        return found

    def to_json(self) -> dict[str, Any]:
        by = actor(self.event)
        who = f"{by['department']}" + (f":{by['user']}" if by.get("user") else "")
        problems = self.problems
        return {
            "position": self.position, "decision": self.kind, "type": event_type(self.event),
            "customer_id": self.customer_id, "invoice_id": self.invoice_id,
            "decided_at_position": self.position - 1, "decided_by": by, "at": self.event.at.isoformat(),
            "checked": self.recorded, "recomputed": self.recomputed, "holds": not problems, "problems": problems,
            "depends_on": self.depends_on,
            "explanation": (
                f"{who} decided a {self.kind} at position {self.position}, against the stream up to "
                f"{self.position - 1}: {explain(self.kind, self.recorded or self.recomputed)}. "
                + ("Checked again: the rule holds." if not problems else "Checked again: " + "; ".join(problems) + ".")
            ),
        }


class Audit:
    """Decisions explained from the history (``history``: adapters.history; ``aggregates_of``
    a customer's aggregate ids; ``policy`` the one in force, for decisions recorded before
    they named theirs)."""

    def __init__(
        self, history: History, aggregates_of: Callable[[str], list[UUID]],
        customers_of: Callable[[list[UUID]], dict[UUID, str]], policy: DunningPolicy,
    ) -> None:
        self.history = history
        self.aggregates_of = aggregates_of
        self.customers_of = customers_of
        self.policy = policy

    def customer_events(self, customer_id: str, upto: int | None = None) -> list[tuple[Any, int]]:
        """The customer's events (at or before ``upto``), in stream order, with positions."""
        return self.history.events_of(self.aggregates_of(customer_id), upto)

    def as_json(self, found: list[tuple[Any, int]]) -> list[dict[str, Any]]:
        """Events as auditors read them (``event_json``), each naming its customer."""
        owners = self.customers_of([e.originator_id for e, _ in found]) if found else {}
        return [{**event_json(e, p), "customer_id": owners.get(e.originator_id)} for e, p in found]

    def page(self, start: int, limit: int, head: int) -> dict[str, Any]:
        """Up to ``limit`` events from position ``start``, and where the next page starts."""
        found = self.history.page(start, limit, head)
        following = found[-1][1] + 1 if found and found[-1][1] < head else None
        return {"position": head, "events": self.as_json(found), "next_position": following}

    def explain(self, position: int) -> Explanation:
        """The decision at ``position``; NotADecisionError when there is none."""
        event = self.history.at(position)
        if event is None or event_type(event) not in DECISIONS:
            raise NotADecisionError(position)
        return self.explain_event(event, position)

    def explain_event(
        self, event: Any, position: int, customer: tuple[str, list[tuple[Any, int]]] | None = None,
    ) -> Explanation:
        """The decision ``event`` at ``position`` explained; ``customer``: its customer's id and
        events (at least up to the decision) when the caller read them already."""
        kind = DECISIONS[event_type(event)]
        recorded = getattr(event, "checked", None)
        if customer is None:
            # The invoice's first event names its customer; then all of that customer's events before.
            issued = self.history.events_of([event.originator_id], position - 1)
            if not issued:
                raise NotADecisionError(position)
            customer_id = issued[0][0].customer_id
            before = self.customer_events(customer_id, position - 1)
        else:
            customer_id, before = customer[0], [(e, p) for e, p in customer[1] if p < position]
        aggregates: dict[UUID, Any] = {}
        for e, _ in before:
            aggregates[e.originator_id] = e.mutate(aggregates.get(e.originator_id))
        invoice = aggregates[event.originator_id]
        open_complaints = sorted(a.complaint_id for a in aggregates.values()
                                 if isinstance(a, Complaint) and a.order_id == invoice.order_id and not a.resolved)
        policy = policy_of(recorded) if recorded and "policy" in recorded else self.policy
        recomputed = self._facts(kind, event, invoice, open_complaints, policy)
        complaint_ids = {a.id for a in aggregates.values() if isinstance(a, Complaint) and a.order_id == invoice.order_id}
        depends_on = [p for e, p in before if e.originator_id == invoice.id or e.originator_id in complaint_ids]
        return Explanation(position, event, kind, customer_id, invoice.invoice_id, recorded, recomputed, depends_on)

    @staticmethod
    def _facts(kind: str, event: Any, invoice: Invoice, open_complaints: list[str], policy: DunningPolicy) -> Facts:
        today = event.at.date()
        if kind == DEFERRAL:
            return deferral_facts(event.until, today, policy, settled=invoice.account.settled)
        if kind == CREDIT_NOTE:
            return credit_facts(event.amount.amount, invoice.account.creditable, today)
        if kind == CORRECTION:
            return correction_facts(invoice.amount.amount, invoice.due_date, len(invoice.open_detailed_requests), today)
        if kind == DISPUTE_OUTCOME:
            return dispute_facts(invoice.open_dispute is not None, today)
        return dunning_facts(invoice.standing(open_complaints), today, policy, hand_off=kind == HAND_OFF)

    def decisions(self, upto: int, page: int = 1000) -> Iterator[tuple[Any, int]]:
        """Every decision event up to position ``upto``, in stream order, a page at a time."""
        for found in self._decision_pages(upto, page):
            yield from found

    def _decision_pages(self, upto: int, page: int = 1000) -> Iterator[list[tuple[Any, int]]]:
        start = 1
        while start <= upto:
            found = self.history.page(start, page, upto, DECISION_TOPICS)
            if not found:
                return
            yield found
            start = found[-1][1] + 1

    def recheck(self, upto: int, advance: Callable[[int], None] | None = None) -> tuple[int, int | None, list[str]]:
        """Every decision up to ``upto`` checked again: how many, the first position that does not
        hold (None when all do) and what is wrong (the first 20)."""
        checked, first_bad = 0, None
        details: list[str] = []
        # A customer's events are read once (up to ``upto``) for all of its decisions; the most
        # recently used customers' are kept, a bounded number.
        histories: OrderedDict[str, list[tuple[Any, int]]] = OrderedDict()
        for found in self._decision_pages(upto):
            owners = self.customers_of([e.originator_id for e, _ in found])
            for event, position in found:
                checked += 1
                owner = owners.get(event.originator_id)
                if owner is not None and owner not in histories:
                    histories[owner] = self.customer_events(owner, upto)
                    if len(histories) > KEPT_HISTORIES:
                        histories.popitem(last=False)
                elif owner is not None:
                    histories.move_to_end(owner)
                customer = (owner, histories[owner]) if owner is not None else None
                problems = self.explain_event(event, position, customer).problems
                if problems:
                    first_bad = position if first_bad is None else first_bad
                    if len(details) < 20:
                        details.append(f"position {position} ({DECISIONS[event_type(event)]}): {'; '.join(problems)}")
                if advance is not None:
                    advance(1)
        return checked, first_bad, details
