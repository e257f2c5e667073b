"""Value objects: Money, Principal and the deterministic aggregate ids."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from domain.errors import CurrencyMismatchError, DomainError
from domain.values import JOURNEY_NAMESPACE, Department, Money, Principal, aggregate_id


def test_money_adds_and_subtracts_in_one_currency():
    assert Money(Decimal("10.50"), "EUR") + Money(Decimal("0.25"), "EUR") == Money(Decimal("10.75"), "EUR")
    assert Money(Decimal("10.50"), "EUR") - Money(Decimal("11"), "EUR") == Money(Decimal("-0.50"), "EUR")


def test_money_refuses_to_mix_currencies():
    with pytest.raises(CurrencyMismatchError, match="USD does not match EUR"):
        Money(Decimal(1), "EUR") + Money(Decimal(1), "USD")


def test_money_keeps_amounts_exact_as_decimals():
    money = Money(0.1, "EUR")  # type: ignore[arg-type]

    assert money.amount == Decimal("0.1")
    assert str(money + Money("0.2", "EUR")) == "0.3 EUR"  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["", "EU", "euro", "eur", "E1R"])
def test_money_needs_an_iso_currency_code(currency):
    with pytest.raises(DomainError, match="ISO 4217"):
        Money(Decimal(1), currency)


def test_a_principal_names_its_department():
    assert Principal("support", "sue").department is Department.SUPPORT
    with pytest.raises(ValueError):
        Principal("accounting", "amy")


def test_aggregate_ids_are_stable_and_distinct_per_kind():
    assert aggregate_id("order", "42") == aggregate_id("order", "42")
    assert aggregate_id("order", "42") != aggregate_id("invoice", "42")
    # stored streams are keyed by these ids, so their recipe must never change
    assert aggregate_id("order", "42") == uuid.uuid5(JOURNEY_NAMESPACE, "order:42")
