"""The ContactBook aggregate: one per customer, what he decided about being contacted and every
contact made, refused or received.

Consents (per channel and purpose, with double opt-in for promotional e-mail), withdrawals and
preferences (caps, quiet hours, preferred channel) are recorded here; so is every outbound
contact, allowed or refused by the contact rule (``domain.contact``) with the facts it read,
every inbound contact, and what became of an allowed one (handed to the mailing tool,
delivered, bounced, opened). An occasion (a campaign's birthday offer of one year, say) is
decided once: a second contact for it is refused without being recorded.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.contact import (
    Channel,
    Consent,
    ContactPolicy,
    ContactRefusal,
    ContactStanding,
    CustomerHolds,
    Made,
    Preferences,
    Purpose,
    contact_facts,
    contact_refusals,
    needs_double_opt_in,
    preferences_of,
    recorded_caps,
    recorded_quiet_hours,
)
from domain.errors import AlreadyExistsError, DomainError, InvalidTransitionError, UnknownError
from domain.values import Principal, aggregate_id

#: Outbound contacts older than this are forgotten by the book (no cap looks further back).
MADE_KEPT = timedelta(days=366)

MADE, REFUSED, INBOUND, CANCELLED = "made", "refused", "inbound", "cancelled"
HANDED_OVER, DELIVERED, BOUNCED, OPENED = "handed-over", "delivered", "bounced", "opened"
#: What may follow each state of an outbound contact.
RESULTS = {
    HANDED_OVER: {MADE},
    DELIVERED: {MADE, HANDED_OVER},
    BOUNCED: {MADE, HANDED_OVER},
    OPENED: {MADE, HANDED_OVER, DELIVERED, OPENED},
}


class OccasionDecidedError(InvalidTransitionError):
    """A contact for an occasion that was already decided (made or refused)."""

    code = "occasion-decided"


class AlreadyAcknowledgedError(InvalidTransitionError):
    """Every contact an acknowledgement names was handed over before."""

    code = "already-acknowledged"


def occasion_key(campaign: str | None, occasion: str | None) -> str | None:
    return None if occasion is None else f"{campaign or ''}\x1f{occasion}"


class ContactBook(Aggregate):
    """A customer's contact rights and contacts, known by the customer's id."""

    @staticmethod
    def create_id(customer_id: str) -> UUID:
        return aggregate_id("contact-book", customer_id)

    @event("Opened")
    def __init__(self, customer_id: str, at: datetime, by: Principal) -> None:
        self.customer_id = customer_id
        self.consents: dict[tuple[str, str], Consent] = {}
        self.withdrawals: dict[tuple[str, str], datetime] = {}
        self.preferences = Preferences()
        self.made: list[Made] = []
        self.contacts: dict[str, str] = {}
        self.routes: dict[str, tuple[str, str]] = {}  # the channel and purpose of each contact made
        self.occasions: set[str] = set()

    # -- the customer's decisions

    def give_consent(
        self, *, channel: Channel, purpose: Purpose, source: str, expires_on: date | None, confirmed: bool,
        at: datetime, by: Principal,
    ) -> None:
        """Record a consent; promotional e-mail stays unconfirmed until the customer confirms it
        (double opt-in) unless ``confirmed`` says the source already did."""
        if expires_on is not None and expires_on < at.date():
            raise DomainError(f"the consent would expire on {expires_on}, before it is given", "expired-consent")
        self._consent_given(channel=str(channel), purpose=str(purpose), source=source, expires_on=expires_on,
                            confirmed=confirmed or not needs_double_opt_in(channel, purpose), at=at, by=by)

    @event("ConsentGiven")
    def _consent_given(
        self, channel: str, purpose: str, source: str, expires_on: date | None, confirmed: bool, at: datetime, by: Principal,
    ) -> None:
        self.consents[(channel, purpose)] = Consent(Channel(channel), Purpose(purpose), source, at, expires_on, confirmed)

    def confirm_consent(self, *, channel: Channel, purpose: Purpose, at: datetime, by: Principal) -> None:
        consent = self.consents.get((str(channel), str(purpose)))
        if consent is None or consent.confirmed:
            raise InvalidTransitionError(f"no consent to {purpose} by {channel} awaits confirmation", "nothing-to-confirm")
        self._consent_confirmed(channel=str(channel), purpose=str(purpose), at=at, by=by)

    @event("ConsentConfirmed")
    def _consent_confirmed(self, channel: str, purpose: str, at: datetime, by: Principal) -> None:
        consent = self.consents[(channel, purpose)]
        self.consents[(channel, purpose)] = Consent(consent.channel, consent.purpose, consent.source, consent.given_at,
                                                    consent.expires_on, confirmed=True)

    def withdraw_consent(self, *, channel: Channel, purpose: Purpose, source: str, at: datetime, by: Principal) -> None:
        """Record a withdrawal (also where no consent was recorded: the customer's word counts)."""
        self._consent_withdrawn(channel=str(channel), purpose=str(purpose), source=source, at=at, by=by)

    @event("ConsentWithdrawn")
    def _consent_withdrawn(self, channel: str, purpose: str, source: str, at: datetime, by: Principal) -> None:
        self.consents.pop((channel, purpose), None)
        self.withdrawals[(channel, purpose)] = at

    def set_preferences(self, *, preferences: Preferences, at: datetime, by: Principal) -> None:
        self._preferences_set(
            caps=recorded_caps(preferences.caps), quiet_hours=recorded_quiet_hours(preferences.quiet_hours),
            preferred_channel=None if preferences.preferred_channel is None else str(preferences.preferred_channel),
            at=at, by=by,
        )

    @event("PreferencesSet")
    def _preferences_set(
        self, caps: list[dict[str, Any]], quiet_hours: dict[str, Any] | None, preferred_channel: str | None,
        at: datetime, by: Principal,
    ) -> None:
        self.preferences = preferences_of(caps, quiet_hours, preferred_channel)

    # -- contacts

    def standing(self, holds: CustomerHolds, *, erased: bool) -> ContactStanding:
        """The contact rule's facts: this book's with the other departments' ``holds``."""
        return ContactStanding(
            consents=tuple(self.consents.values()),
            withdrawals=tuple((Channel(ch), Purpose(p), at) for (ch, p), at in self.withdrawals.items()),
            preferences=self.preferences, made=tuple(self.made), holds=holds, erased=erased,
        )

    def check_new_contact(self, contact_id: str, campaign: str | None, occasion: str | None) -> None:
        if contact_id in self.contacts:
            raise AlreadyExistsError("contact", contact_id)
        key = occasion_key(campaign, occasion)
        if key is not None and key in self.occasions:
            raise OccasionDecidedError(f"the occasion {occasion!r} of {campaign or 'no campaign'} was already decided")

    def contact(  # noqa: PLR0913 -- a contact is all of these
        self, *, contact_id: str, channel: Channel, purpose: Purpose, campaign: str | None, occasion: str | None,
        message: str, holds: CustomerHolds, erased: bool, policy: ContactPolicy, at: datetime, by: Principal,
    ) -> list[ContactRefusal]:
        """Check an outbound contact against the contact rule and record it: made when allowed,
        refused with every reason otherwise. Returns the reasons (none: made)."""
        self.check_new_contact(contact_id, campaign, occasion)
        standing = self.standing(holds, erased=erased)
        refusals = contact_refusals(channel, purpose, standing, at, policy)
        checked = contact_facts(channel, purpose, standing, at, policy)
        fields: dict[str, Any] = {"contact_id": contact_id, "channel": str(channel), "purpose": str(purpose), "campaign": campaign,
                  "occasion": occasion, "message": message, "at": at, "by": by, "checked": checked}
        if refusals:
            reasons = [{"code": r.code, "detail": r.detail} for r in refusals]
            self._contact_refused(reasons=reasons, **fields)
        else:
            self._contact_made(**fields)
        return refusals

    @event("ContactMade")
    def _contact_made(  # noqa: PLR0913 -- the event records all of the contact
        self, contact_id: str, channel: str, purpose: str, campaign: str | None, occasion: str | None, message: str,
        at: datetime, by: Principal, checked: dict[str, Any],
    ) -> None:
        self.contacts[contact_id] = MADE
        self.routes[contact_id] = (channel, purpose)
        self.made = [m for m in self.made if m.at > at - MADE_KEPT] + [Made(at, Channel(channel), Purpose(purpose))]
        self._decide(campaign, occasion)

    @event("ContactRefused")
    def _contact_refused(  # noqa: PLR0913 -- the event records all of the contact
        self, contact_id: str, channel: str, purpose: str, campaign: str | None, occasion: str | None, message: str,
        reasons: list[dict[str, str]], at: datetime, by: Principal, checked: dict[str, Any],
    ) -> None:
        self.contacts[contact_id] = REFUSED
        self._decide(campaign, occasion)

    def _decide(self, campaign: str | None, occasion: str | None) -> None:
        key = occasion_key(campaign, occasion)
        if key is not None:
            self.occasions.add(key)

    def record_inbound(self, *, contact_id: str, channel: Channel, note: str | None, at: datetime, by: Principal) -> None:
        """The customer got in touch (a call, an e-mail, a chat, a visit)."""
        if contact_id in self.contacts:
            raise AlreadyExistsError("contact", contact_id)
        self._inbound_contact(contact_id=contact_id, channel=str(channel), note=note, at=at, by=by)

    @event("InboundContact")
    def _inbound_contact(self, contact_id: str, channel: str, note: str | None, at: datetime, by: Principal) -> None:
        self.contacts[contact_id] = INBOUND

    def cancel_waiting(self, *, cause: str, at: datetime, by: Principal, channel: Channel | None = None,
                       purpose: Purpose | None = None) -> None:
        """Cancel the contacts made and not yet handed to the mailing tool (over ``channel`` for
        ``purpose`` when given): the consent they relied on was withdrawn, or the person erased.
        Those handed over are the mailing tool's already."""
        for contact_id, state in list(self.contacts.items()):
            route = self.routes.get(contact_id)
            if state != MADE or route is None:
                continue
            if (channel is None or route[0] == str(channel)) and (purpose is None or route[1] == str(purpose)):
                self._contact_cancelled(contact_id=contact_id, cause=cause, at=at, by=by)

    @event("ContactCancelled")
    def _contact_cancelled(self, contact_id: str, cause: str, at: datetime, by: Principal) -> None:
        self.contacts[contact_id] = CANCELLED

    def awaits_handover(self, contact_id: str) -> bool:
        """Whether ``contact_id`` was made and not yet handed to the mailing tool."""
        return self.contacts.get(contact_id) == MADE

    def check_made(self, contact_id: str) -> None:
        """UnknownError for an unknown contact; InvalidTransitionError for one never made."""
        state = self.contacts.get(contact_id)
        if state is None:
            raise UnknownError("contact", contact_id)
        if state in {REFUSED, INBOUND, CANCELLED}:
            raise InvalidTransitionError(f"contact {contact_id} is {state}: only a contact made goes out",
                                         "contact-not-made")

    def record_result(self, *, contact_id: str, result: str, reason: str | None, at: datetime, by: Principal) -> None:
        """What became of an allowed contact: handed to the mailing tool, delivered, bounced
        (``reason``), opened."""
        state = self.contacts.get(contact_id)
        if state is None:
            raise UnknownError("contact", contact_id)
        if state not in RESULTS[result]:
            raise InvalidTransitionError(f"contact {contact_id} is {state}; it cannot be {result}")
        if result == HANDED_OVER:
            self._handed_over(contact_id=contact_id, at=at, by=by)
        elif result == DELIVERED:
            self._delivered(contact_id=contact_id, at=at, by=by)
        elif result == BOUNCED:
            self._bounced(contact_id=contact_id, reason=reason, at=at, by=by)
        else:
            self._opened(contact_id=contact_id, at=at, by=by)

    @event("ContactHandedOver")
    def _handed_over(self, contact_id: str, at: datetime, by: Principal) -> None:
        self.contacts[contact_id] = HANDED_OVER

    @event("ContactDelivered")
    def _delivered(self, contact_id: str, at: datetime, by: Principal) -> None:
        self.contacts[contact_id] = DELIVERED

    @event("ContactBounced")
    def _bounced(self, contact_id: str, reason: str | None, at: datetime, by: Principal) -> None:
        self.contacts[contact_id] = BOUNCED

    @event("ContactOpened")
    def _opened(self, contact_id: str, at: datetime, by: Principal) -> None:
        self.contacts[contact_id] = OPENED
