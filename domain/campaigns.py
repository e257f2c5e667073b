"""Campaign policies: which occasions call for a contact. Pure.

A policy turns a customer's facts into proposals (campaign, occasion, purpose, message). The
campaign runner (services/campaigns.py) finds the customers, chooses the channel and hands every
proposal to the contact rule (domain/contact.py) as a contact; a refused one is recorded with its
reasons and never sent. An occasion is decided once (the contact book refuses a second), so a
policy run again proposes nothing new.

- birthday offer: on the customer's birthday, or up to ``birthday_window_days`` late; once a
  year;
- cross-selling: after an order was delivered (within ``cross_sell_window_days``), an accessory
  that fits what he bought (the affinity table), never for a product group he complained about
  ``complaints_for_alternative`` times or more; once per order;
- reactivation: ``dormant_days`` after his last order; once per dormant spell;
- alternative offer: after ``complaints_for_alternative`` complaints in one product group, once
  they are all resolved, an alternative product of that group instead; once per group;
- invitations to an exclusive event (``top_event``) for customers who spent at least
  ``top_spend`` in one currency over the last 365 days; once per event.
"""

from __future__ import annotations

import calendar
import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.contact import (
    Channel,
    ContactPolicy,
    ContactRefusal,
    ContactStanding,
    Purpose,
    contact_refusals,
)
from domain.errors import DomainError

BIRTHDAY = "birthday-offer"
CROSS_SELLING = "cross-selling"
REACTIVATION = "reactivation"
ALTERNATIVE = "alternative-offer"
TOP_EVENT = "top-customer-event"
POLICIES = (BIRTHDAY, CROSS_SELLING, REACTIVATION, ALTERNATIVE, TOP_EVENT)
#: The channels a campaign tries, in this order, after the customer's preferred one.
CHANNEL_ORDER = (Channel.EMAIL, Channel.LETTER, Channel.MESSENGER, Channel.SMS, Channel.PHONE)
#: The refusals a campaign waits out instead of recording them: the customer's own timing (his
#: quiet hours, his cap on how often), not a reason against the contact itself.
WAITED_OUT = frozenset({"quiet-hours", "cap-reached"})


@dataclass(frozen=True)
class CampaignSettings:
    birthday_window_days: int = 7
    cross_sell_window_days: int = 14
    dormant_days: int = 180
    complaints_for_alternative: int = 2
    top_spend: Decimal = Decimal(1000)
    top_event: str | None = None


@dataclass(frozen=True)
class Affinity:
    """What fits what: per product group, accessories to suggest after a purchase and
    alternatives to offer after complaints (a CSV catalogue file: ``product_group,kind,product``
    with ``kind`` ``accessory`` or ``alternative``)."""

    accessories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    alternatives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def parse_affinity(lines: Iterable[str]) -> Affinity:
    """An affinity table from the lines of its CSV file (a header row first); DomainError
    naming the line of a row it cannot read."""
    kinds: dict[str, dict[str, list[str]]] = {"accessory": {}, "alternative": {}}
    rows = csv.reader(lines)
    header = next(rows, None)
    if header is None or [h.strip() for h in header] != ["product_group", "kind", "product"]:
        raise DomainError("the affinity table's first line must read: product_group,kind,product", "invalid-affinity")
    for number, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 3 or row[1].strip() not in kinds or not row[0].strip() or not row[2].strip():
            raise DomainError(f"line {number} of the affinity table is not product_group,accessory|alternative,product",
                              "invalid-affinity")
        group, kind, product = (cell.strip() for cell in row)
        kinds[kind].setdefault(group, []).append(product)
    return Affinity({g: tuple(p) for g, p in kinds["accessory"].items()},
                    {g: tuple(p) for g, p in kinds["alternative"].items()})


@dataclass(frozen=True)
class Proposal:
    """A contact a policy proposes: ``occasion`` of ``campaign`` is decided once."""

    campaign: str
    occasion: str
    purpose: Purpose
    message: str

    @property
    def contact_id(self) -> str:
        """The contact's id, the occasion's: unique within a customer's contact book, so a
        retried run names it again."""
        return f"C-{self.campaign}-{self.occasion}"


def birthday_this_year(birthday: date, year: int) -> date:
    """The birthday in ``year`` (29 February is kept on the 28th in other years)."""
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return birthday.replace(year=year)


def birthday_days(today: date, settings: CampaignSettings) -> list[str]:
    """The birthdays (``MM-DD``) whose offer is due today: today and the days of the window."""
    days = {(today - timedelta(days=n)).strftime("%m-%d") for n in range(settings.birthday_window_days + 1)}
    if "02-28" in days and not calendar.isleap(today.year):
        days.add("02-29")
    return sorted(days)


def birthday_offer(birthday: date, today: date, settings: CampaignSettings) -> Proposal | None:
    for year in (today.year, today.year - 1):  # a birthday on 30 December, a run on 2 January
        day = birthday_this_year(birthday, year)
        if 0 <= (today - day).days <= settings.birthday_window_days:
            return Proposal(BIRTHDAY, str(year), Purpose.MARKETING, BIRTHDAY)
    return None


def troubled_groups(complaint_counts: Mapping[str, int], settings: CampaignSettings) -> set[str]:
    """The product groups the customer complained about often enough for an alternative."""
    return {group for group, count in complaint_counts.items() if count >= settings.complaints_for_alternative}


def cross_selling(
    order_id: str, groups: Iterable[str], complaint_counts: Mapping[str, int], affinity: Affinity,
    settings: CampaignSettings,
) -> Proposal | None:
    """An accessory for a delivered order: the first the table names for its groups (in
    name order), leaving out the groups he keeps complaining about."""
    troubled = troubled_groups(complaint_counts, settings)
    for group in sorted(set(groups) - troubled):
        for product in affinity.accessories.get(group, ()):
            return Proposal(CROSS_SELLING, f"order-{order_id}", Purpose.MARKETING, f"accessory:{product}")
    return None


def reactivation(last_order: date, today: date, settings: CampaignSettings) -> Proposal | None:
    if (today - last_order).days >= settings.dormant_days:
        return Proposal(REACTIVATION, f"dormant-since-{last_order.isoformat()}", Purpose.MARKETING, "win-back")
    return None


def alternative_offer(
    group: str, complaints: int, affinity: Affinity, settings: CampaignSettings, *, still_open: bool = False,
) -> Proposal | None:
    """An alternative product of ``group`` after enough complaints in it, once none is open
    (while one is, the contact rule would refuse any promotion)."""
    alternatives = affinity.alternatives.get(group, ())
    if complaints >= settings.complaints_for_alternative and alternatives and not still_open:
        return Proposal(ALTERNATIVE, f"group-{group}", Purpose.MARKETING, f"alternative:{alternatives[0]}")
    return None


def top_event_invitation(spent: Mapping[str, Decimal], settings: CampaignSettings) -> Proposal | None:
    """An invitation when the customer spent ``top_spend`` or more in some currency."""
    if settings.top_event is None or not any(amount >= settings.top_spend for amount in spent.values()):
        return None
    return Proposal(TOP_EVENT, settings.top_event, Purpose.EVENTS, f"invitation:{settings.top_event}")


def choose_channel(
    standing: ContactStanding, purpose: Purpose, now: datetime, policy: ContactPolicy,
) -> tuple[Channel, list[ContactRefusal]]:
    """The channel to propose on, and the contact rule's refusals there now: the customer's
    preferred channel when it is allowed, else the first allowed in ``CHANNEL_ORDER``, else the
    first that only waits for his quiet hours to end, else the one refused for the fewest
    reasons (a channel he consented to names the hold, not the missing consent), where the
    refusal is recorded."""
    preferred = standing.preferences.preferred_channel
    order = [preferred, *CHANNEL_ORDER] if preferred is not None else list(CHANNEL_ORDER)
    answers = []
    for channel in dict.fromkeys(order):  # the rule is asked until a channel is allowed
        refusals = contact_refusals(channel, purpose, standing, now, policy)
        if not refusals:
            return channel, refusals
        answers.append((channel, refusals))
    for channel, refusals in answers:
        if waits(refusals):
            return channel, refusals
    return min(answers, key=lambda answer: len(answer[1]))


def waits(refusals: Iterable[ContactRefusal]) -> bool:
    """Whether only the customer's timing stands in the way (``WAITED_OUT``): a campaign
    proposes it again on a later run instead of recording a refusal."""
    codes = {r.code for r in refusals}
    return bool(codes) and codes <= WAITED_OUT
