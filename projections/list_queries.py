"""What a page of a list asks (``ListQuery``) and gets (``ListPage``), and the queries of each
worklist: today turned into ranges of sort keys and days (a complaint's minimum age, a
receivables bucket), a search into a text and digits, a campaign into its range of sort keys and
tags, a tier into the least amount a card's row must hold. The rows themselves:
``projections.lists``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from domain.loyalty import TIERS
from projections.batch import Snapshot
from projections.lists import (
    AMOUNT_EXPONENT,
    CAMPAIGN_CONTACTS,
    CARD_HOLDERS,
    CONSENTED,
    CUSTOMERS,
    OPEN_COMPLAINTS,
    RECEIVABLES,
    SEP,
    ListRow,
    digits,
)

_PHONE_QUERY = re.compile(r"\+?[0-9 ()/.-]+")

#: Receivables buckets by days past due (not yet due counts as 0), and each one's last day.
BUCKETS = ("0-30", "31-60", "61-90", "90+")
_BUCKET_ENDS = (30, 60, 90)

@dataclass(frozen=True)
class ListQuery:
    """What a page of a list asks: rows of ``list`` in ``sort_key`` order after ``after``, within
    [``sort_from``, ``sort_before``), of ``tag``, and, when ``text`` is given, whose ``search``
    contains it or whose ``sort_key`` starts with it or (``digits``) whose ``tag`` contains those.
    ``bands`` asks for totals of ``amount`` per currency and band of ``day`` (band i: ``day`` at
    or after ``bands[i]`` and before the bands in front of it; the last band: every earlier day).
    ``min_amount``: only rows whose ``amount`` is at least that. ``count_tags``: count the list's
    rows per ``tag`` and ``search`` where the tag starts with it (``ListPage.counts``)."""

    list: str
    after: str | None = None
    sort_from: str | None = None
    sort_before: str | None = None
    tag: str | None = None
    text: str | None = None
    digits: str | None = None
    bands: tuple[str, ...] = ()
    min_amount: int | None = None
    count_tags: str | None = None


@dataclass(frozen=True)
class Total:
    """The sum of ``amount`` (ten-thousandths) of ``count`` rows of one band in one currency."""

    band: int
    currency: str
    amount: int
    count: int


@dataclass(frozen=True)
class Count:
    """How many rows of a list carry ``tag`` and ``search``."""

    tag: str
    search: str | None
    count: int


@dataclass(frozen=True)
class ListPage:
    """A page of a list in one snapshot: its rows, the documents they show (with the contact
    data and, for billing's lists, the complaints of their customers), the totals asked for,
    and the last row's sort key when more rows follow (else None)."""

    snapshot: Snapshot
    rows: list[ListRow]
    last: str | None
    totals: list[Total] = field(default_factory=list)
    counts: list[Count] = field(default_factory=list)


def consented_query(channel: str, purpose: str) -> ListQuery:
    """The customers with a consent to ``purpose`` by ``channel`` (maybe expired or awaiting its
    confirmation: the contact rule decides)."""
    return ListQuery(CONSENTED, text=f";{channel}/{purpose};")


def campaign_query(campaign: str, outcome: str | None) -> ListQuery:
    """The contacts ``campaign`` proposed (with ``outcome`` when given), in the order decided,
    counted per outcome and reasons."""
    mine = f"{campaign}{SEP}"
    return ListQuery(CAMPAIGN_CONTACTS, sort_from=mine, sort_before=f"{campaign}\x20",
                     tag=None if outcome is None else f"{mine}{outcome}", count_tags=mine)


def card_holders_query(tier: str | None) -> ListQuery:
    """The loyalty card holders, by customer id; of ``tier`` (its rows that can reach it)."""
    if tier is None:
        return ListQuery(CARD_HOLDERS)
    least = next(t.from_points for t in TIERS if t.name == tier)
    return ListQuery(CARD_HOLDERS, min_amount=least or None)


def customer_search(q: str | None) -> ListQuery:
    """Customers whose name or email contains ``q``, whose id starts with it (case-insensitive)
    or, when ``q`` is a phone number (3 digits or more), whose phone contains its digits."""
    text = (q or "").strip().casefold()
    if not text:
        return ListQuery(CUSTOMERS)
    wanted = digits(text) if _PHONE_QUERY.fullmatch(text) else ""
    return ListQuery(CUSTOMERS, text=text, digits=wanted if len(wanted) >= 3 else None)


def complaints_query(product_group: str | None, min_age_days: int | None, today: date) -> ListQuery:
    """Open complaints of ``product_group`` filed at least ``min_age_days`` days before today."""
    before = None if not min_age_days else (today - timedelta(days=min_age_days - 1)).isoformat()
    return ListQuery(OPEN_COMPLAINTS, tag=product_group, sort_before=before)


def bucket_of(due_date: str, today: date) -> tuple[int, str]:
    """Days past due (0 while not yet due) and the receivables bucket they fall in."""
    days = max((today - date.fromisoformat(due_date)).days, 0)
    return days, next((b for b, end in zip(BUCKETS, _BUCKET_ENDS, strict=False) if days <= end), BUCKETS[-1])


def bucket_bands(today: date) -> tuple[str, ...]:
    """The first due date of each bucket but the last (the bands of ``ListQuery.bands``)."""
    return tuple((today - timedelta(days=end)).isoformat() for end in _BUCKET_ENDS)


def receivables_query(bucket: str | None, today: date) -> ListQuery:
    """Open receivables (of ``bucket`` when given), with the totals of every bucket."""
    bands = bucket_bands(today)
    if bucket is None:
        return ListQuery(RECEIVABLES, bands=bands)
    i = BUCKETS.index(bucket)
    since = bands[i] if i < len(bands) else None
    # Due dates lead the sort key: bucket i is [its first due date, the previous bucket's first).
    until = bands[i - 1] if i else None
    return ListQuery(RECEIVABLES, sort_from=since, sort_before=until, bands=bands)


def amount_of(total: int) -> Decimal:
    """A table amount (ten-thousandths) as a Decimal of the currency."""
    return Decimal(total).scaleb(-AMOUNT_EXPONENT)
