"""The loyalty card's rules (domain/loyalty.py): points, lots taken oldest first, tiers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import DomainError
from domain.loyalty import Lot, LoyaltyPolicy, balance, points_for, take, tier_of

TODAY = date(2026, 3, 10)


def lots() -> list[Lot]:
    return [Lot("I2", 300, 300, date(2026, 2, 1), date(2027, 2, 1)), Lot("I1", 100, 40, date(2025, 6, 1), date(2026, 6, 1)),
            Lot("I0", 50, 50, date(2025, 1, 1), date(2026, 1, 1))]


def test_points_are_whole_units_of_any_currency_times_the_rate():
    assert points_for(Decimal("120.99"), LoyaltyPolicy()) == 120
    assert points_for(Decimal("0.99"), LoyaltyPolicy()) == 0
    assert points_for(Decimal("-5"), LoyaltyPolicy()) == 0
    assert points_for(Decimal("10.5"), LoyaltyPolicy(points_per_unit=3)) == 31
    with pytest.raises(DomainError):
        LoyaltyPolicy(points_per_unit=0)


def test_taking_points_empties_the_lots_expiring_first_and_skips_expired_ones():
    found = lots()

    assert balance(found, TODAY) == 340  # I0 expired
    assert take(found, 100, TODAY) == [("I1", 40), ("I2", 60)]
    assert [x.remaining for x in found] == [240, 0, 50]
    assert take(found, 10, TODAY, first="I2") == [("I2", 10)]


def test_the_tier_counts_the_points_earned_in_the_last_year():
    assert tier_of(lots(), TODAY).name == "bronze"  # 300 + 100 earned within the year
    rich = [*lots(), Lot("I3", 1700, 0, date(2026, 3, 1), date(2027, 3, 1))]
    assert tier_of(rich, TODAY).name == "gold"
    assert tier_of(rich, date(2027, 3, 2)).name == "bronze"  # a year later
    silver = [Lot("I4", 500, 500, date(2026, 1, 1), date(2027, 1, 1))]
    assert (tier_of(silver, TODAY).name, tier_of(silver, TODAY).discount_percent) == ("silver", 3)
    returned = [Lot("I4", 500, 450, date(2026, 1, 1), date(2027, 1, 1), reversed=50)]
    assert tier_of(returned, TODAY).name == "bronze"  # what was taken back counts for no tier
