"""Running the campaign policies (domain/campaigns.py): find the customers a policy concerns in
the read store, read what the contact rule needs of them (a thousand customers a snapshot),
propose each occasion not yet decided on
the channel the contact rule allows (the customer's preferred one first), and record every
proposal as a contact through the contact rule: made, or refused with its reasons. A proposal
that only waits for the customer's own timing (his quiet hours, his cap) is left for a later run.

Running a policy again proposes nothing new: an occasion is decided once (the contact's id is
the occasion's, so even two runs at once record it once). ``journey campaigns run`` runs one
policy or all; ``journey campaigns serve --interval S`` runs them every S seconds, backing off
after a failure and going on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from importlib import resources
from itertools import groupby, islice
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from domain import campaigns as policy
from domain import commands as c
from domain.campaigns import Affinity, CampaignSettings, Proposal
from domain.contact import ContactRefusal
from domain.contact_book import OccasionDecidedError, occasion_key
from domain.errors import AlreadyExistsError, DomainError
from domain.values import Department, Principal
from projections import customers, lists, marketing, support
from projections.batch import Snapshot, Wanted
from projections.marketing_model import BOOK, HOLDING_INVOICES, PROFILE, RULE_READS, holds_of, per_customer, standing_of

if TYPE_CHECKING:
    from services.bootstrap import Journey
    from services.settings import Settings

log = logging.getLogger(__name__)

#: Who records a campaign's contacts.
CAMPAIGNS = Principal(Department.MARKETING, user="campaigns")
#: What a proposal reads: what the contact rule reads (the contact book, the customer, the
#: invoices and complaints holding promotion back); cross-selling every complaint (it counts
#: them per product group) and the orders.
READS = {policy.CROSS_SELLING: (BOOK, PROFILE, HOLDING_INVOICES, Wanted(support.VIEW, ("complaint", "order")))}
#: Customers decided at once (their documents read in one snapshot, their contacts handed to
#: the writer together, which commits them in groups).
CHUNK = 1000
#: Rows a finder reads at once.
FOUND_PAGE = 5000
T = TypeVar("T")
AMOUNT_SCALE = Decimal(10) ** lists.AMOUNT_EXPONENT


def campaign_settings(settings: Settings) -> CampaignSettings:
    return CampaignSettings(
        birthday_window_days=settings.campaign_birthday_window_days,
        cross_sell_window_days=settings.campaign_cross_sell_window_days,
        dormant_days=settings.campaign_dormant_days,
        complaints_for_alternative=settings.campaign_alternative_complaints,
        top_spend=settings.campaign_top_spend, top_event=settings.campaign_top_event,
    )


def load_affinity(path: Path | None) -> Affinity:
    """The affinity table of ``path``, or the example the package ships (services/affinity.csv)."""
    if path is None:
        text = resources.files("services").joinpath("affinity.csv").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return policy.parse_affinity(text.splitlines())


@dataclass
class RunReport:
    """What one run of a policy did."""

    policy: str
    today: str
    dry_run: bool = False
    customers: int = 0
    proposed: int = 0
    made: int = 0
    refused: int = 0
    waiting: int = 0
    decided_before: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if k != "reasons"}, "reasons": dict(sorted(self.reasons.items()))}


#: The candidates, in customer order: the customer and what the policy would propose given the
#: customer's documents.
Candidates = Iterator[tuple[str, Callable[[Snapshot], Proposal | None]]]


class Campaigns:
    """The campaign policies over a wired journey."""

    def __init__(self, journey: Journey, settings: CampaignSettings | None = None, affinity: Affinity | None = None):
        self.journey = journey
        self.settings = settings or campaign_settings(journey.settings)
        self.affinity = affinity if affinity is not None else load_affinity(journey.settings.campaign_affinity_csv)

    def run(self, name: str, today: date | None = None, *, dry_run: bool = False) -> RunReport:
        """Run the policy ``name`` once (as of ``today``, default the clock's). ``dry_run``:
        evaluate only, recording nothing; the report says what the contact rule would answer
        now (a real run's answers may differ where the stream moved on meanwhile)."""
        started = time.perf_counter()
        now = self.journey.clock.now()
        today = today or now.date()
        report = RunReport(name, today.isoformat(), dry_run=dry_run)
        # Each customer's candidates together (the finders page by customer), a thousand customers
        # at a time: memory stays flat, and no customer is decided on two snapshots.
        grouped = ((customer, [p for _, p in found]) for customer, found in groupby(self._candidates(name, today),
                                                                                    key=itemgetter(0)))

        def read(chunk: Sequence[tuple[str, Any]]) -> Snapshot:
            return self.journey.store.read_customers(
                self.journey.service.app.name, [customer for customer, _ in chunk], READS.get(name, RULE_READS))

        for chunk, snapshot in _read_ahead(read, _batches(grouped, CHUNK)):
            report.customers += len(chunk)
            self._decide(chunk, snapshot, now, report, dry_run=dry_run)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _decide(
        self, chunk: Sequence[tuple[str, list[Callable[[Snapshot], Proposal | None]]]], snapshot: Snapshot,
        now: datetime, report: RunReport, *, dry_run: bool,
    ) -> None:
        """Propose for each customer of ``chunk`` on his documents in ``snapshot``, one contact a
        customer and run (a second occasion waits for the next run, which sees the first);
        record the proposals (unless ``dry_run``), counting what came of each in ``report``."""
        by_customer = per_customer(snapshot)
        commands: list[tuple[c.Command, Principal]] = []
        for customer, proposers in chunk:
            docs, one = by_customer.get(customer, Snapshot(0, [], [])), False
            for propose in proposers:
                proposed = self._proposal(customer, propose, docs, now, report, second=one)
                if proposed is None:
                    continue
                one, (command, refusals) = True, proposed
                if dry_run:
                    _count_refusals(refusals, report)
                else:
                    commands.append((command, CAMPAIGNS))
        for result in self.journey.service.execute_many(commands):
            _count(result, report)

    def run_all(self, today: date | None = None) -> list[RunReport]:
        return [self.run(name, today) for name in policy.POLICIES]

    def _proposal(  # noqa: PLR0913 -- the customer, his proposal, his documents, the time, the report
        self, customer: str, propose: Callable[[Snapshot], Proposal | None], docs: Snapshot, now: datetime,
        report: RunReport, *, second: bool = False,
    ) -> tuple[c.ContactCustomer, list[ContactRefusal]] | None:
        proposal = propose(docs)
        if proposal is None:
            return None
        books = docs.of(marketing.VIEW, "contact-book")
        decided = {occasion_key(x.get("campaign"), x.get("occasion")) for b in books for x in b["contacts"]}
        if occasion_key(proposal.campaign, proposal.occasion) in decided:
            report.decided_before += 1
            return None
        if second:  # his first contact of this run counts in his cap: decided on the next run
            report.proposed += 1
            report.waiting += 1
            return None
        profile = docs.of(customers.VIEW, "customer")
        erased = bool(profile and profile[0].get("erased"))
        standing = standing_of(books[0] if books else None, holds_of(docs), erased=erased)
        channel, refusals = policy.choose_channel(standing, proposal.purpose, now, self.journey.service.contact_policy)
        report.proposed += 1
        if policy.waits(refusals):
            report.waiting += 1
            return None
        command = c.ContactCustomer(customer, proposal.contact_id, channel, proposal.purpose, proposal.message,
                                    proposal.campaign, proposal.occasion)
        return command, refusals

    # -- finding the customers of each policy --------------------------------------------------

    def _candidates(self, name: str, today: date) -> Candidates:
        finders = {
            policy.BIRTHDAY: self._birthdays, policy.CROSS_SELLING: self._deliveries,
            policy.REACTIVATION: self._dormant, policy.ALTERNATIVE: self._troubled, policy.TOP_EVENT: self._top,
        }
        if name not in finders:
            raise DomainError(f"unknown campaign policy {name!r}: one of {', '.join(policy.POLICIES)}", "unknown-policy")
        return finders[name](today)

    def _birthdays(self, today: date) -> Candidates:
        store, settings, days = self.journey.store, self.settings, policy.birthday_days(today, self.settings)

        def propose(docs: Snapshot) -> Proposal | None:
            profile = docs.of(customers.VIEW, "customer")
            birthday = lists.month_day(profile[0].get("birthday")) if profile else None
            if birthday is None or profile[0].get("erased"):
                return None
            return policy.birthday_offer(date.fromisoformat(profile[0]["birthday"]), today, settings)

        return ((customer, propose) for (customer,) in _paged(partial(store.customers_born_on, days)))

    def _deliveries(self, today: date) -> Candidates:
        first = (today - timedelta(days=self.settings.cross_sell_window_days)).isoformat()
        found = _paged(partial(self.journey.store.deliveries_between, first, today.isoformat()))
        return ((customer, partial(self._cross_sell, key)) for customer, key in found)

    def _cross_sell(self, key: str, docs: Snapshot) -> Proposal | None:
        order = next((d for v, k, d in docs.docs if v == support.VIEW and k == key), None)
        if order is None:
            return None
        counts = Counter(d["product_group"] for d in docs.of(support.VIEW, "complaint"))
        return policy.cross_selling(order["order_id"], order["product_groups"], counts, self.affinity, self.settings)

    def _dormant(self, today: date) -> Candidates:
        before = (today - timedelta(days=self.settings.dormant_days - 1)).isoformat()
        found = _paged(partial(self.journey.store.last_orders_before, before))
        return ((customer, partial(self._reactivation, last, today)) for customer, last in found)

    def _reactivation(self, last: str, today: date, docs: Snapshot) -> Proposal | None:  # noqa: ARG002 -- found already
        """Made when decided, not when found: a run holds a day per candidate, not a proposal."""
        return policy.reactivation(date.fromisoformat(last), today, self.settings)

    def _troubled(self, today: date) -> Candidates:  # noqa: ARG002 -- every policy is asked for a day
        found = _paged(partial(self.journey.store.complaints_per_group, self.settings.complaints_for_alternative))
        for customer, rows in groupby(found, key=itemgetter(0)):
            yield customer, partial(self._alternative, [(group, count) for _, group, count in rows])

    def _alternative(self, groups: list[tuple[str, int]], docs: Snapshot) -> Proposal | None:
        """The first group's alternative whose complaints are all resolved; one a run."""
        still_open = {d["product_group"] for d in docs.of(support.VIEW, "complaint") if d["status"] != "resolved"}
        proposals = (policy.alternative_offer(group, count, self.affinity, self.settings, still_open=group in still_open)
                     for group, count in groups)
        return next((p for p in proposals if p is not None), None)

    def _top(self, today: date) -> Candidates:
        if self.settings.top_event is None:
            return
        since = (today - timedelta(days=365)).isoformat()
        least = int(self.settings.top_spend * AMOUNT_SCALE)
        for customer, rows in groupby(_paged(partial(self.journey.store.spent_since, since, least)), key=itemgetter(0)):
            spent = {currency: Decimal(total) / AMOUNT_SCALE for _, currency, total in rows}
            yield customer, partial(_constant, policy.top_event_invitation(spent, self.settings))


def _constant(proposal: Proposal | None, docs: Snapshot) -> Proposal | None:  # noqa: ARG001 -- found by the query already
    return proposal


def _read_ahead(read: Callable[[Sequence[Any]], Snapshot], chunks: Iterable[Sequence[Any]]) -> Iterator[tuple[Sequence[Any], Snapshot]]:
    """Each chunk with what ``read`` finds for it; the next chunk is read in a thread of its own
    while this one is decided (the database and the decoding of one overlap the rule of the
    other; three chunks' documents in memory at most, for a moment)."""
    with ThreadPoolExecutor(1, thread_name_prefix="campaign-read") as reader:
        ahead: tuple[Sequence[Any], Future[Snapshot]] | None = None
        for chunk in chunks:
            following = (chunk, reader.submit(read, chunk))
            if ahead is not None:
                yield ahead[0], ahead[1].result()
            ahead = following
        if ahead is not None:
            yield ahead[0], ahead[1].result()


def _paged(find: Callable[[str | None, int], Sequence[tuple[Any, ...]]], size: int = FOUND_PAGE) -> Iterator[Any]:
    """Every row ``find(after, limit)`` finds, in customer order (its first column), a page at
    a time: the last customer of a full page, whose rows may go on, is found again with the next."""
    after = None
    while True:
        rows = find(after, size)
        if len(rows) < size:
            yield from rows
            return
        done = [row for row in rows if row[0] != rows[-1][0]]
        if not done:  # one customer fills a page: ask for more at once
            size *= 2
            continue
        yield from done
        after = done[-1][0]


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _count_refusals(refusals: list[ContactRefusal], report: RunReport) -> None:
    if refusals:
        report.refused += 1
        report.reasons.update(r.code for r in refusals)
    else:
        report.made += 1


def _count(result: Any, report: RunReport) -> None:
    if isinstance(result, AlreadyExistsError | OccasionDecidedError):  # another run decided it meanwhile
        report.decided_before += 1
    elif isinstance(result, DomainError):
        report.reasons[f"error:{result.code}"] += 1
    elif result.answer["allowed"]:
        report.made += 1
    else:
        report.refused += 1
        report.reasons.update(r["code"] for r in result.answer["reasons"])


def serve(journey: Journey, interval: float, stop: threading.Event, on_report: Callable[[RunReport], None]) -> None:
    """Run every policy every ``interval`` seconds until ``stop`` is set; a failure is logged,
    the loop backs off (doubling up to the interval) and goes on."""
    campaigns, delay = Campaigns(journey), 1.0
    while not stop.is_set():
        try:
            for report in campaigns.run_all():
                on_report(report)
            delay = 1.0
            stop.wait(interval)
        except Exception:  # noqa: BLE001 -- a worker backs off and resumes, it never dies silently
            log.exception("a campaign run failed; trying again in %.0f s", delay)
            stop.wait(delay)
            delay = min(delay * 2, max(interval, 1.0))
