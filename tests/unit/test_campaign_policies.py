"""The campaign policies (domain/campaigns.py): which occasions call for a contact, and where."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from domain import campaigns as p
from domain.contact import Channel, Consent, ContactPolicy, ContactStanding, Preferences, Purpose, QuietHours
from domain.errors import DomainError

SETTINGS = p.CampaignSettings(top_event="gala-2026")
AFFINITY = p.parse_affinity([
    "product_group,kind,product", "power-tools,accessory,BIT-SET-32", "power-tools,alternative,PRO-DRILL",
    "garden,accessory,HOSE", "", "kitchen,alternative,KETTLE-PRO",
])
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_the_affinity_table_is_read_from_csv_and_a_bad_line_is_named():
    assert AFFINITY.accessories == {"power-tools": ("BIT-SET-32",), "garden": ("HOSE",)}
    assert AFFINITY.alternatives == {"power-tools": ("PRO-DRILL",), "kitchen": ("KETTLE-PRO",)}
    with pytest.raises(DomainError, match="line 3"):
        p.parse_affinity(["product_group,kind,product", "a,accessory,b", "a,gift,c"])
    with pytest.raises(DomainError, match="first line"):
        p.parse_affinity(["group,product"])


def test_a_birthday_offer_is_due_on_the_day_and_within_the_window_once_a_year():
    offer = p.birthday_offer(date(1980, 3, 10), date(2026, 3, 10), SETTINGS)

    assert offer == p.Proposal(p.BIRTHDAY, "2026", Purpose.MARKETING, p.BIRTHDAY)
    assert offer.contact_id == "C-birthday-offer-2026"
    assert p.birthday_offer(date(1980, 3, 3), date(2026, 3, 10), SETTINGS) is not None  # 7 days late
    assert p.birthday_offer(date(1980, 3, 2), date(2026, 3, 10), SETTINGS) is None
    assert p.birthday_offer(date(1980, 3, 11), date(2026, 3, 10), SETTINGS) is None  # not yet
    assert p.birthday_offer(date(1980, 12, 30), date(2027, 1, 2), SETTINGS).occasion == "2026"
    assert p.birthday_offer(date(2000, 2, 29), date(2026, 2, 28), SETTINGS) is not None  # kept on the 28th
    assert "02-29" in p.birthday_days(date(2026, 2, 28), SETTINGS)
    assert p.birthday_days(date(2026, 3, 10), SETTINGS) == [f"03-{d:02d}" for d in range(3, 11)]


def test_cross_selling_suggests_an_accessory_but_never_for_a_group_he_keeps_complaining_about():
    offer = p.cross_selling("O-1", ["power-tools", "garden"], {}, AFFINITY, SETTINGS)
    troubled = p.cross_selling("O-1", ["power-tools", "garden"], {"garden": 2}, AFFINITY, SETTINGS)
    only_troubled = p.cross_selling("O-1", ["power-tools"], {"power-tools": 3}, AFFINITY, SETTINGS)

    assert offer == p.Proposal(p.CROSS_SELLING, "order-O-1", Purpose.MARKETING, "accessory:HOSE")  # groups by name
    assert troubled.message == "accessory:BIT-SET-32"
    assert only_troubled is None
    assert p.cross_selling("O-1", ["books"], {}, AFFINITY, SETTINGS) is None


def test_a_customer_is_won_back_once_per_dormant_spell_of_180_days():
    assert p.reactivation(date(2025, 9, 11), date(2026, 3, 10), SETTINGS).occasion == "dormant-since-2025-09-11"
    assert p.reactivation(date(2025, 9, 12), date(2026, 3, 10), SETTINGS) is None  # 179 days


def test_an_alternative_is_offered_after_two_complaints_in_a_group_once_none_is_open():
    assert p.alternative_offer("power-tools", 2, AFFINITY, SETTINGS).message == "alternative:PRO-DRILL"
    assert p.alternative_offer("power-tools", 1, AFFINITY, SETTINGS) is None
    assert p.alternative_offer("power-tools", 3, AFFINITY, SETTINGS, still_open=True) is None
    assert p.alternative_offer("garden", 5, AFFINITY, SETTINGS) is None  # no alternative known


def test_top_customers_are_invited_to_the_event_set():
    invitation = p.top_event_invitation({"EUR": Decimal(1000)}, SETTINGS)
    assert (invitation.purpose, invitation.occasion) == (Purpose.EVENTS, "gala-2026")
    assert p.top_event_invitation({"EUR": Decimal("999.99")}, SETTINGS) is None
    assert p.top_event_invitation({"EUR": Decimal(5000)}, p.CampaignSettings()) is None  # no event set


def consented(*channels: Channel, **kw) -> ContactStanding:
    return ContactStanding(consents=tuple(Consent(ch, Purpose.MARKETING, "web", NOW - timedelta(days=9)) for ch in channels),
                           **kw)


def test_the_channel_is_the_preferred_one_when_allowed_else_the_first_allowed_else_where_it_is_refused():
    policy = ContactPolicy()
    both = consented(Channel.EMAIL, Channel.LETTER, preferences=Preferences(preferred_channel=Channel.LETTER))
    assert p.choose_channel(both, Purpose.MARKETING, NOW, policy) == (Channel.LETTER, [])
    assert p.choose_channel(consented(Channel.SMS), Purpose.MARKETING, NOW, policy) == (Channel.SMS, [])
    channel, refusals = p.choose_channel(consented(), Purpose.MARKETING, NOW, policy)
    assert channel is Channel.EMAIL and [r.code for r in refusals] == ["no-consent"]
    # Within quiet hours an e-mail waits; a letter goes.
    quiet = Preferences(quiet_hours=QuietHours(time(11), time(13)))
    channel, refusals = p.choose_channel(consented(Channel.EMAIL, preferences=quiet), Purpose.MARKETING, NOW, policy)
    assert channel is Channel.EMAIL and p.waits(refusals)
    assert p.choose_channel(consented(Channel.EMAIL, Channel.LETTER, preferences=quiet), Purpose.MARKETING, NOW,
                            policy) == (Channel.LETTER, [])
    assert not p.waits([]) and not p.waits(refusals + [*p.choose_channel(consented(), Purpose.MARKETING, NOW, policy)[1]])
