"""What a department decision was checked against, recorded with it, and how to check it again.

Every decision on an invoice (a dunning step, the collection hand-off, a payment deferral, a
corrected invoice, a credit note, a dispute's outcome) records its ``checked`` facts: the rule it
passed, the business day, the invoice's facts the rule read and the policy in force. Free texts
(notes, reasons) are personal and are not copied: a request or a deferral is named by its count or
number. The position a decision was taken at needs no field: every write is appended under the
condition that the head did not move since it was decided (ADR 0007), so a decision at position
``p`` was checked against exactly the stream up to ``p - 1``.

``violations`` evaluates the rule again on the recorded facts; an auditor also recomputes the
facts from the history before ``p`` and compares (services.audit).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.holds import Deferral, DunningPolicy, InvoiceStanding, active_holds, dunning_refusals

Facts = dict[str, Any]

DUNNING_STEP = "dunning-step"
HAND_OFF = "collection-hand-off"
DEFERRAL = "payment-deferral"
CORRECTION = "corrected-invoice"
CREDIT_NOTE = "credit-note"
DISPUTE_OUTCOME = "dispute-outcome"

#: The decision each event type records, by its stable name.
DECISIONS = {
    "Invoice.DunningLevelReached": DUNNING_STEP,
    "Invoice.HandedToCollection": HAND_OFF,
    "Invoice.PaymentDeferralGranted": DEFERRAL,
    "Invoice.CorrectedInvoiceIssued": CORRECTION,
    "Invoice.CreditNoteIssued": CREDIT_NOTE,
    "Invoice.DisputeResolved": DISPUTE_OUTCOME,
}


def policy_facts(policy: DunningPolicy) -> Facts:
    return {"min_interval_days": policy.min_interval.days, "max_deferral_days": policy.max_deferral.days}


def policy_of(facts: Facts) -> DunningPolicy:
    """The policy a decision recorded as in force."""
    policy = facts["policy"]
    return DunningPolicy(timedelta(days=policy["min_interval_days"]), timedelta(days=policy["max_deferral_days"]))


def dunning_facts(standing: InvoiceStanding, today: date, policy: DunningPolicy, *, hand_off: bool) -> Facts:
    """The hold rule's facts for a dunning step or hand-off on ``today``, with the holds found."""
    return {
        "rule": HAND_OFF if hand_off else DUNNING_STEP,
        "today": today.isoformat(),
        "due_date": standing.due_date.isoformat(),
        "balance": str(standing.balance),
        "dunning_level": standing.dunning_level,
        "last_dunning_on": standing.last_dunning_on.isoformat() if standing.last_dunning_on else None,
        "handed_to_collection": standing.handed_to_collection,
        "open_detailed_requests": len(standing.open_detailed_requests),
        "deferrals": [{"number": d.number, "until": d.until.isoformat(), "department": d.department}
                      for d in standing.deferrals],
        "open_dispute": standing.open_dispute is not None,
        "open_complaints": list(standing.open_complaints),
        "holds": [{"kind": str(h.kind), "until": h.until.isoformat() if h.until else None, "ref": h.ref}
                  for h in active_holds(standing, today)],
        "policy": policy_facts(policy),
    }


def standing_of(facts: Facts) -> InvoiceStanding:
    """The hold rule's facts as recorded (texts were not recorded: placeholders stand for them)."""
    return InvoiceStanding(
        due_date=date.fromisoformat(facts["due_date"]),
        balance=Decimal(facts["balance"]),
        open_detailed_requests=("request",) * facts["open_detailed_requests"],
        deferrals=tuple(Deferral(date.fromisoformat(d["until"]), "", "", d["number"], d["department"])
                        for d in facts["deferrals"]),
        open_dispute="dispute" if facts["open_dispute"] else None,
        open_complaints=tuple(facts["open_complaints"]),
        dunning_level=facts["dunning_level"],
        last_dunning_on=date.fromisoformat(facts["last_dunning_on"]) if facts["last_dunning_on"] else None,
        handed_to_collection=facts["handed_to_collection"],
    )


def deferral_facts(until: date, today: date, policy: DunningPolicy, *, settled: bool) -> Facts:
    return {
        "rule": DEFERRAL, "today": today.isoformat(), "until": until.isoformat(),
        "latest_allowed": (today + policy.max_deferral).isoformat(), "settled": settled,
        "policy": policy_facts(policy),
    }


def correction_facts(amount: Decimal, due_date: date, open_detailed_requests: int, today: date) -> Facts:
    """What a corrected invoice replaced and answered."""
    return {
        "rule": CORRECTION, "today": today.isoformat(), "amount_before": str(amount),
        "due_date_before": due_date.isoformat(), "open_detailed_requests": open_detailed_requests,
    }


def credit_facts(amount: Decimal, creditable: Decimal, today: date) -> Facts:
    return {"rule": CREDIT_NOTE, "today": today.isoformat(), "amount": str(amount), "creditable": str(creditable)}


def dispute_facts(dispute_open: bool, today: date) -> Facts:
    return {"rule": DISPUTE_OUTCOME, "today": today.isoformat(), "dispute_open": dispute_open}


def violations(facts: Facts) -> list[str]:
    """Why the rule ``facts`` name would not allow the decision on those facts (empty: it holds)."""
    rule, today = facts["rule"], date.fromisoformat(facts["today"])
    if rule in (DUNNING_STEP, HAND_OFF):
        refusals = dunning_refusals(standing_of(facts), today, policy_of(facts), hand_off=rule == HAND_OFF)
        return [r.detail for r in refusals]
    if rule == DEFERRAL:
        found = []
        if facts["settled"]:
            found.append("the invoice was settled")
        if not today <= date.fromisoformat(facts["until"]) <= date.fromisoformat(facts["latest_allowed"]):
            found.append(f"a deferral until {facts['until']} lies outside {today}..{facts['latest_allowed']}")
        if date.fromisoformat(facts["latest_allowed"]) != today + policy_of(facts).max_deferral:
            found.append("the latest allowed day does not follow from the policy")
        return found
    if rule == CREDIT_NOTE:
        amount, creditable = Decimal(facts["amount"]), Decimal(facts["creditable"])
        return [] if 0 < amount <= creditable else [f"a credit note of {amount} exceeds the creditable {creditable}"]
    if rule == DISPUTE_OUTCOME:
        return [] if facts["dispute_open"] else ["no dispute was open"]
    if rule == CORRECTION:
        return []  # a corrected invoice may always be sent; its facts say what it replaced
    return [f"unknown rule {rule!r}"]


def explain(kind: str, facts: Facts | None) -> str:
    """The decision's facts in words."""
    if facts is None:
        return "recorded before decisions carried their facts; the facts are recomputed from the history"
    if kind in (DUNNING_STEP, HAND_OFF):
        holds = ", ".join(h["kind"] for h in facts["holds"]) or "none"
        last = facts["last_dunning_on"] or "never"
        return (
            f"on {facts['today']} the invoice was due since {facts['due_date']}, owed {facts['balance']}, "
            f"stood at dunning level {facts['dunning_level']} (last step: {last}); holds found: {holds}; "
            f"open complaints: {len(facts['open_complaints'])}; policy: at least "
            f"{facts['policy']['min_interval_days']} days between steps"
        )
    if kind == DEFERRAL:
        return (f"on {facts['today']} a deferral until {facts['until']} was within the policy's latest day "
                f"{facts['latest_allowed']} ({facts['policy']['max_deferral_days']} days)")
    if kind == CREDIT_NOTE:
        return f"on {facts['today']} a credit note of {facts['amount']} was within the creditable {facts['creditable']}"
    if kind == CORRECTION:
        return (f"on {facts['today']} the invoice of {facts['amount_before']} due {facts['due_date_before']} was "
                f"corrected, answering {facts['open_detailed_requests']} open detailed-invoice request(s)")
    return f"on {facts['today']} the open dispute was resolved"
