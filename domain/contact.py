"""The contact rule: the one place that decides whether the company may contact a customer.

Every outbound contact (a channel, a purpose, a department, a campaign) is checked here against
what the customer decided (consent per channel and purpose, his frequency caps and quiet hours)
and what the other departments' history forbids (dunning, an open dispute or complaint, a
recent withdrawal), with the facts at its position in the stream. A refusal names every reason.
The contact book calls it before recording a contact, the marketing view to show the next
allowed contact, so no department sees a different answer from the one a contact was checked
against (as the hold rule does for dunning, ``domain.holds``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import DomainError
from domain.holds import FINAL_DUNNING_LEVEL

#: How many times ``next_allowed`` re-checks at the time the reasons lapse before it gives up.
_LOOKAHEAD = 16


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    LETTER = "letter"
    MESSENGER = "messenger"


class Purpose(StrEnum):
    SERVICE = "service"
    MARKETING = "marketing"
    NEWSLETTER = "newsletter"
    EVENTS = "events"


#: Purposes that promote: the customer's caps count them and the departments' holds stop them.
PROMOTIONAL = frozenset({Purpose.MARKETING, Purpose.NEWSLETTER, Purpose.EVENTS})
#: Channels that reach the customer at the moment they are used: quiet hours apply to them (a
#: letter arrives when the post comes).
TIMED = frozenset({Channel.EMAIL, Channel.PHONE, Channel.SMS, Channel.MESSENGER})


def needs_double_opt_in(channel: Channel, purpose: Purpose) -> bool:
    """Promotional e-mail needs the customer's confirmation of his consent (double opt-in)."""
    return channel is Channel.EMAIL and purpose in PROMOTIONAL


def check_timezone(name: str) -> None:
    """A DomainError unless ``name`` is an IANA time zone (``Europe/Berlin``)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(f"unknown time zone {name!r}", "unknown-time-zone") from None


@dataclass(frozen=True)
class Consent:
    """The customer's consent to be contacted over ``channel`` for ``purpose``, given at
    ``given_at`` through ``source`` (a web form, a store, a call), valid through ``expires_on``
    (None: until withdrawn); ``confirmed`` once a double opt-in is confirmed (always True
    where none is needed)."""

    channel: Channel
    purpose: Purpose
    source: str
    given_at: datetime
    expires_on: date | None = None
    confirmed: bool = True


@dataclass(frozen=True)
class Cap:
    """At most ``limit`` promotional contacts in any ``days`` days, on ``channel`` (None: on all
    channels together)."""

    limit: int
    days: int
    channel: Channel | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.limit <= 1000 or not 1 <= self.days <= 366:
            raise DomainError("a cap allows 0 to 1000 contacts in 1 to 366 days", "invalid-cap")

    def describe(self) -> str:
        on = f"by {self.channel}" if self.channel else "on all channels"
        return f"at most {self.limit} promotional contact(s) in {self.days} day(s) {on}"


@dataclass(frozen=True)
class QuietHours:
    """No contact from ``start`` until ``end`` (local time in ``timezone``); ``start`` after
    ``end`` spans midnight (22:00-08:00)."""

    start: time
    end: time
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        if self.start == self.end:
            raise DomainError("quiet hours must start and end at different times", "invalid-quiet-hours")

    def covers(self, when: datetime) -> bool:
        local = when.astimezone(ZoneInfo(self.timezone)).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, when: datetime) -> datetime:
        """The first moment after ``when`` (inside the quiet hours) when they are over."""
        zone = ZoneInfo(self.timezone)
        local = when.astimezone(zone)
        end = datetime.combine(local.date(), self.end, tzinfo=zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=zone)
        return end.astimezone(when.tzinfo)

    def describe(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"


@dataclass(frozen=True)
class Preferences:
    """How the customer wants to be contacted: his caps, quiet hours and preferred channel."""

    caps: tuple[Cap, ...] = ()
    quiet_hours: QuietHours | None = None
    preferred_channel: Channel | None = None


@dataclass(frozen=True)
class Made:
    """An outbound contact made: when, over which channel, for which purpose."""

    at: datetime
    channel: Channel
    purpose: Purpose


@dataclass(frozen=True)
class CustomerHolds:
    """What the other departments' history holds against promotion: the customer's invoices
    with a balance and their dunning levels (``(invoice id, level)``; a hand-off to collection
    counts as the level after the last), invoices with an open dispute, open complaints."""

    dunning: tuple[tuple[str, int], ...] = ()
    disputes: tuple[str, ...] = ()
    complaints: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvoiceFacts:
    """What the contact rule reads of one invoice of the customer."""

    invoice_id: str
    balance: Decimal
    dunning_level: int
    handed_to_collection: bool
    in_dispute: bool

    @property
    def dunned(self) -> bool:
        """Dunned (or handed to collection) and not settled: holds at its level."""
        return self.balance > 0 and bool(self.dunning_level or self.handed_to_collection)

    @property
    def holds_back(self) -> bool:
        """Whether this invoice holds promotion back at some level (``holds_from``)."""
        return self.dunned or self.in_dispute


#: The level a hand-off to collection counts as: the one after the final notice.
COLLECTION_LEVEL = FINAL_DUNNING_LEVEL + 1


def holds_from(invoices: Iterable[InvoiceFacts], open_complaints: Iterable[str]) -> CustomerHolds:
    """The holds of a customer's invoices and open complaints, whatever the policy makes of
    them: invoices with a balance that were dunned (collection counts as ``COLLECTION_LEVEL``),
    invoices in dispute, open complaints. The contact book (from its aggregates) and the
    marketing view (from its documents) both build the holds here."""
    found = list(invoices)
    return CustomerHolds(
        dunning=tuple(sorted((i.invoice_id, COLLECTION_LEVEL if i.handed_to_collection else i.dunning_level)
                             for i in found if i.dunned)),
        disputes=tuple(sorted(i.invoice_id for i in found if i.in_dispute)),
        complaints=tuple(sorted(open_complaints)),
    )


@dataclass(frozen=True)
class ContactPolicy:
    """The departments' holds on promotion (the defaults; settings may change them): none while
    an invoice of the customer is at ``dunning_level`` or more, while a dispute (``on_dispute``)
    or a complaint (``on_complaint``) is open, and for ``after_withdrawal`` after the customer
    withdrew a promotional consent on any channel."""

    dunning_level: int = 2
    on_dispute: bool = True
    on_complaint: bool = True
    after_withdrawal: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class ContactStanding:
    """The facts the contact rule reads, built by the contact book (and the marketing view):
    the consents in force (one per channel and purpose), the last withdrawal per channel and
    purpose, the preferences, the outbound contacts made, the holds, and whether the
    customer's personal data was erased."""

    consents: tuple[Consent, ...] = ()
    withdrawals: tuple[tuple[Channel, Purpose, datetime], ...] = ()
    preferences: Preferences = field(default_factory=Preferences)
    made: tuple[Made, ...] = ()
    holds: CustomerHolds = field(default_factory=CustomerHolds)
    erased: bool = False

    def consent(self, channel: Channel, purpose: Purpose) -> Consent | None:
        return next((c for c in self.consents if c.channel is channel and c.purpose is purpose), None)

    def withdrawn_at(self, channel: Channel, purpose: Purpose) -> datetime | None:
        return next((at for ch, p, at in self.withdrawals if ch is channel and p is purpose), None)


@dataclass(frozen=True)
class ContactRefusal:
    """One reason a contact is refused; ``until`` is when it lapses by time alone (None: only
    when something else changes, a consent given or a complaint resolved)."""

    code: str
    detail: str
    until: datetime | None = None


# Recorded forms (an event's fields, a view's document) ------------------------------------------


def caps_of(caps: list[dict[str, Any]]) -> tuple[Cap, ...]:
    return tuple(Cap(c["limit"], c["days"], None if c.get("channel") is None else Channel(c["channel"])) for c in caps)


def quiet_hours_of(quiet: dict[str, Any] | None) -> QuietHours | None:
    if quiet is None:
        return None
    return QuietHours(time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"]), quiet["timezone"])


def preferences_of(caps: list[dict[str, Any]], quiet: dict[str, Any] | None, preferred: str | None) -> Preferences:
    """Preferences from their recorded form (an event's or a view's)."""
    return Preferences(caps_of(caps), quiet_hours_of(quiet), None if preferred is None else Channel(preferred))


def recorded_caps(caps: tuple[Cap, ...]) -> list[dict[str, Any]]:
    return [{"limit": c.limit, "days": c.days, "channel": None if c.channel is None else str(c.channel)} for c in caps]


def recorded_quiet_hours(quiet: QuietHours | None) -> dict[str, Any] | None:
    if quiet is None:
        return None
    return {"start": quiet.start.strftime("%H:%M"), "end": quiet.end.strftime("%H:%M"), "timezone": quiet.timezone}


def contact_refusals(
    channel: Channel, purpose: Purpose, standing: ContactStanding, now: datetime, policy: ContactPolicy,
) -> list[ContactRefusal]:
    """Every reason a contact over ``channel`` for ``purpose`` is refused at ``now``; an empty
    list means it is allowed."""
    refusals: list[ContactRefusal] = []
    if standing.erased:
        refusals.append(ContactRefusal("erased", "the customer's personal data was erased"))
    refusals += _consent_refusals(channel, purpose, standing, now)
    if purpose in PROMOTIONAL:
        refusals += _cap_refusals(channel, standing, now)
        refusals += _hold_refusals(standing, now, policy)
    quiet = standing.preferences.quiet_hours
    if quiet is not None and channel in TIMED and quiet.covers(now):
        refusals.append(ContactRefusal("quiet-hours", f"within the customer's quiet hours ({quiet.describe()})",
                                       quiet.ends_after(now)))
    return refusals


def _consent_refusals(channel: Channel, purpose: Purpose, standing: ContactStanding, now: datetime) -> list[ContactRefusal]:
    consent = standing.consent(channel, purpose)
    if consent is None:
        withdrawn = standing.withdrawn_at(channel, purpose)
        if withdrawn is not None:
            return [ContactRefusal("consent-withdrawn", f"the customer withdrew his consent to {purpose} by {channel} "
                                                        f"on {withdrawn.date()}")]
        return [ContactRefusal("no-consent", f"no consent to {purpose} by {channel}")]
    refusals = []
    if consent.expires_on is not None and now.date() > consent.expires_on:
        refusals.append(ContactRefusal("consent-expired", f"the consent to {purpose} by {channel} expired "
                                                          f"on {consent.expires_on}"))
    if not consent.confirmed:
        refusals.append(ContactRefusal("opt-in-unconfirmed", f"the customer has not confirmed his consent to {purpose} "
                                                             f"by {channel} (double opt-in)"))
    return refusals


def _cap_refusals(channel: Channel, standing: ContactStanding, now: datetime) -> list[ContactRefusal]:
    refusals = []
    for cap in standing.preferences.caps:
        if cap.channel is not None and cap.channel is not channel:
            continue
        since = now - timedelta(days=cap.days)
        counted = sorted(
            m.at for m in standing.made
            if m.purpose in PROMOTIONAL and since < m.at <= now and (cap.channel is None or m.channel is cap.channel)
        )
        if len(counted) >= cap.limit:
            # The cap allows one more once all but limit - 1 of the counted contacts left the window.
            frees = counted[len(counted) - cap.limit] + timedelta(days=cap.days) if cap.limit else None
            refusals.append(ContactRefusal("cap-reached", f"{cap.describe()}: {len(counted)} made", frees))
    return refusals


def _hold_refusals(standing: ContactStanding, now: datetime, policy: ContactPolicy) -> list[ContactRefusal]:
    holds, refusals = standing.holds, []
    dunned = [invoice for invoice, level in standing.holds.dunning if level >= policy.dunning_level]
    if dunned:
        refusals.append(ContactRefusal("hold:dunning", f"invoice {', '.join(dunned)} at dunning level "
                                                       f"{policy.dunning_level} or more"))
    if policy.on_dispute and holds.disputes:
        refusals.append(ContactRefusal("hold:dispute", f"invoice {', '.join(holds.disputes)} in dispute"))
    if policy.on_complaint and holds.complaints:
        refusals.append(ContactRefusal("hold:complaint", f"complaint {', '.join(holds.complaints)} open"))
    promotional = [at for _, purpose, at in standing.withdrawals if purpose in PROMOTIONAL]
    if promotional and now < max(promotional) + policy.after_withdrawal:
        until = max(promotional) + policy.after_withdrawal
        refusals.append(ContactRefusal("hold:withdrawal", f"the customer withdrew a consent on {max(promotional).date()}: "
                                                          f"no promotion before {until.date()}", until))
    return refusals


def next_allowed(
    channel: Channel, purpose: Purpose, standing: ContactStanding, now: datetime, policy: ContactPolicy,
) -> datetime | None:
    """When a contact over ``channel`` for ``purpose`` is next allowed, if nothing changes but
    time: ``now`` when it is now; None when a reason lapses only by something else."""
    when = now
    for _ in range(_LOOKAHEAD):
        refusals = contact_refusals(channel, purpose, standing, when, policy)
        if not refusals:
            return when
        if any(r.until is None for r in refusals):
            return None
        when = max(r.until for r in refusals if r.until is not None)
    return None


def contact_facts(
    channel: Channel, purpose: Purpose, standing: ContactStanding, now: datetime, policy: ContactPolicy,
) -> dict[str, Any]:
    """What the rule read for a contact, recorded with it (no free text: nothing to erase)."""
    consent = standing.consent(channel, purpose)
    return {
        "rule": "outbound-contact", "now": now.isoformat(), "channel": str(channel), "purpose": str(purpose),
        "consent": None if consent is None else {
            "source": consent.source, "given_at": consent.given_at.isoformat(),
            "expires_on": None if consent.expires_on is None else consent.expires_on.isoformat(),
            "confirmed": consent.confirmed,
        },
        "withdrawn_at": _iso(standing.withdrawn_at(channel, purpose)),
        "caps": [{"limit": c.limit, "days": c.days, "channel": c.channel and str(c.channel)}
                 for c in standing.preferences.caps],
        "quiet_hours": None if standing.preferences.quiet_hours is None else standing.preferences.quiet_hours.describe(),
        "made_in_last_366_days": sum(1 for m in standing.made if m.purpose in PROMOTIONAL
                                     and now - timedelta(days=366) < m.at <= now),
        "holds": {"dunning": [list(d) for d in standing.holds.dunning], "disputes": list(standing.holds.disputes),
                  "complaints": list(standing.holds.complaints)},
        "erased": standing.erased,
        "policy": {"dunning_level": policy.dunning_level, "on_dispute": policy.on_dispute,
                   "on_complaint": policy.on_complaint, "after_withdrawal_days": policy.after_withdrawal.days},
    }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
