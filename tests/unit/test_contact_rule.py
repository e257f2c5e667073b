"""The contact rule (domain/contact.py): consent, caps, quiet hours and the departments' holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain.contact import (
    Cap,
    Channel,
    Consent,
    ContactPolicy,
    ContactStanding,
    CustomerHolds,
    Made,
    Preferences,
    Purpose,
    QuietHours,
    contact_facts,
    contact_refusals,
    needs_double_opt_in,
    next_allowed,
)
from domain.errors import DomainError

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
EMAIL, PHONE, LETTER, SMS = Channel.EMAIL, Channel.PHONE, Channel.LETTER, Channel.SMS
MARKETING, SERVICE, NEWSLETTER = Purpose.MARKETING, Purpose.SERVICE, Purpose.NEWSLETTER
POLICY = ContactPolicy()


def consent(channel: Channel = EMAIL, purpose: Purpose = MARKETING, **kw) -> Consent:
    return Consent(channel, purpose, "web-form", NOW - timedelta(days=100), **kw)


def standing(*consents: Consent, **kw) -> ContactStanding:
    return ContactStanding(consents=consents or (consent(),), **kw)


def codes(channel: Channel, purpose: Purpose, s: ContactStanding, now: datetime = NOW,
          policy: ContactPolicy = POLICY) -> list[str]:
    return [r.code for r in contact_refusals(channel, purpose, s, now, policy)]


def test_a_contact_with_a_valid_consent_and_nothing_against_it_is_allowed():
    assert codes(EMAIL, MARKETING, standing()) == []
    assert next_allowed(EMAIL, MARKETING, standing(), NOW, POLICY) == NOW


def test_consent_is_per_channel_and_purpose_and_its_absence_expiry_withdrawal_and_opt_in_are_named():
    assert codes(PHONE, MARKETING, standing()) == ["no-consent"]
    assert codes(EMAIL, NEWSLETTER, standing()) == ["no-consent"]
    assert codes(EMAIL, MARKETING, standing(consent(expires_on=date(2026, 3, 9)))) == ["consent-expired"]
    assert codes(EMAIL, MARKETING, standing(consent(expires_on=date(2026, 3, 10)))) == []  # through its last day
    assert codes(EMAIL, MARKETING, standing(consent(confirmed=False))) == ["opt-in-unconfirmed"]
    withdrawn = ContactStanding(withdrawals=((EMAIL, MARKETING, NOW - timedelta(days=40)),))
    assert codes(EMAIL, MARKETING, withdrawn) == ["consent-withdrawn"]
    # None of these lapses by time alone.
    assert next_allowed(PHONE, MARKETING, standing(), NOW, POLICY) is None


def test_double_opt_in_is_needed_for_promotional_email_only():
    assert needs_double_opt_in(EMAIL, MARKETING) and needs_double_opt_in(EMAIL, NEWSLETTER)
    assert not needs_double_opt_in(EMAIL, SERVICE) and not needs_double_opt_in(SMS, MARKETING)


def test_caps_count_promotional_contacts_in_a_sliding_window_per_channel_or_overall():
    week = Preferences(caps=(Cap(1, 7),))
    made = (Made(NOW - timedelta(days=3), SMS, MARKETING),)
    both = (consent(), consent(SMS))
    s = standing(*both, preferences=week, made=made)

    refused = contact_refusals(EMAIL, MARKETING, s, NOW, POLICY)

    assert [r.code for r in refused] == ["cap-reached"]
    assert "at most 1 promotional contact(s) in 7 day(s) on all channels" in refused[0].detail
    assert refused[0].until == NOW + timedelta(days=4)  # the SMS leaves the window
    assert next_allowed(EMAIL, MARKETING, s, NOW, POLICY) == NOW + timedelta(days=4)
    # A cap on one channel counts that channel only; service contacts are never capped or counted.
    per_sms = standing(*both, preferences=Preferences(caps=(Cap(1, 7, SMS),)), made=made)
    assert codes(EMAIL, MARKETING, per_sms) == [] and codes(SMS, MARKETING, per_sms) == ["cap-reached"]
    serviced = standing(consent(SMS, SERVICE), consent(SMS), preferences=week,
                        made=(Made(NOW - timedelta(days=1), SMS, SERVICE),))
    assert codes(SMS, MARKETING, serviced) == [] and codes(SMS, SERVICE, s) == ["no-consent"]


def test_a_cap_of_two_frees_when_the_older_of_the_last_two_leaves_the_window():
    made = tuple(Made(NOW - timedelta(days=d), EMAIL, MARKETING) for d in (6, 5, 1))
    s = standing(preferences=Preferences(caps=(Cap(2, 7),)), made=made)

    assert next_allowed(EMAIL, MARKETING, s, NOW, POLICY) == NOW + timedelta(days=2)
    assert codes(EMAIL, MARKETING, s, NOW + timedelta(days=2)) == []


def test_quiet_hours_span_midnight_in_the_customers_time_zone_and_spare_letters():
    quiet = Preferences(quiet_hours=QuietHours(time(22, 0), time(8, 0), "Europe/Berlin"))
    s = standing(consent(), consent(LETTER), preferences=quiet)
    late = datetime(2026, 3, 10, 21, 30, tzinfo=UTC)  # 22:30 in Berlin (UTC+1 in March)

    refused = contact_refusals(EMAIL, MARKETING, s, late, POLICY)

    assert [r.code for r in refused] == ["quiet-hours"]
    assert refused[0].until == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    assert codes(EMAIL, MARKETING, s, datetime(2026, 3, 10, 20, 59, tzinfo=UTC)) == []
    assert codes(LETTER, MARKETING, s, late) == []


def test_quiet_hours_and_caps_are_checked_as_given():
    with pytest.raises(DomainError, match="unknown time zone"):
        QuietHours(time(22, 0), time(8, 0), "Mars/Olympus")
    with pytest.raises(DomainError):
        QuietHours(time(8, 0), time(8, 0))
    with pytest.raises(DomainError):
        Cap(1, 0)


def test_holds_stop_promotion_not_service_and_follow_the_policy():
    holds = CustomerHolds(dunning=(("INV-1", 2), ("INV-2", 1)), disputes=("INV-3",), complaints=("CP-1",))
    s = standing(consent(), consent(EMAIL, SERVICE), holds=holds)

    refused = contact_refusals(EMAIL, MARKETING, s, NOW, POLICY)

    assert [r.code for r in refused] == ["hold:dunning", "hold:dispute", "hold:complaint"]
    assert "INV-1" in refused[0].detail and "INV-2" not in refused[0].detail
    assert codes(EMAIL, SERVICE, s) == []
    assert next_allowed(EMAIL, MARKETING, s, NOW, POLICY) is None
    lenient = ContactPolicy(dunning_level=3, on_dispute=False, on_complaint=False)
    assert codes(EMAIL, MARKETING, s, policy=lenient) == []


def test_a_withdrawal_on_any_channel_holds_promotion_everywhere_for_a_while():
    withdrawn_at = NOW - timedelta(days=10)
    s = standing(consent(), withdrawals=((SMS, MARKETING, withdrawn_at),))

    refused = contact_refusals(EMAIL, MARKETING, s, NOW, POLICY)

    assert [r.code for r in refused] == ["hold:withdrawal"]
    assert next_allowed(EMAIL, MARKETING, s, NOW, POLICY) == withdrawn_at + timedelta(days=30)


def test_every_reason_is_named_at_once_and_an_erased_customer_is_never_contacted():
    quiet = Preferences(quiet_hours=QuietHours(time(0, 0), time(23, 59)), caps=(Cap(0, 7),))
    s = ContactStanding(consents=(consent(confirmed=False),), preferences=quiet,
                        holds=CustomerHolds(complaints=("CP-9",)), erased=True)

    assert codes(EMAIL, MARKETING, s) == ["erased", "opt-in-unconfirmed", "cap-reached", "hold:complaint", "quiet-hours"]


def test_the_facts_recorded_name_the_consent_the_caps_the_holds_and_the_policy_read():
    s = standing(consent(expires_on=date(2027, 1, 1)), preferences=Preferences(caps=(Cap(1, 7, EMAIL),)),
                 holds=CustomerHolds(complaints=("CP-1",)))

    facts = contact_facts(EMAIL, MARKETING, s, NOW, POLICY)

    assert facts["consent"] == {"source": "web-form", "given_at": (NOW - timedelta(days=100)).isoformat(),
                                "expires_on": "2027-01-01", "confirmed": True}
    assert facts["caps"] == [{"limit": 1, "days": 7, "channel": "email"}]
    assert facts["holds"]["complaints"] == ["CP-1"] and facts["policy"]["dunning_level"] == 2
