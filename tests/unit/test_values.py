"""Value objects: Money, Principal and the deterministic aggregate ids."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from domain.currencies import format_amount
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
    assert (money + Money("0.2", "EUR")).amount == Decimal("0.3")  # type: ignore[arg-type]
    assert str(money + Money("0.2", "EUR")) == "0.30 EUR"  # type: ignore[arg-type]


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


@pytest.mark.parametrize(("amount", "currency", "written"), [
    ("0", "EUR", "0.00"), ("-0.00", "EUR", "0.00"), ("906", "EUR", "906.00"), ("500.00", "JPY", "500"),
    ("1.5", "KWD", "1.500"), ("906.005", "EUR", "906.005"),  # stored before the rule: as it is
])
def test_amounts_are_written_with_the_currency_exponent(amount, currency, written):
    assert format_amount(Decimal(amount), currency) == written


@pytest.mark.parametrize(("amount", "currency"), [("906.005", "EUR"), ("5.5", "JPY"), ("1.2345", "KWD")])
def test_an_amount_with_more_decimals_than_the_currency_allows_is_refused(amount, currency):
    with pytest.raises(DomainError, match=f"{currency} amounts have") as refused:
        Money(Decimal(amount), currency).check_positive("a payment")
    assert refused.value.code == "too-many-decimals"


@pytest.mark.parametrize(("amount", "currency"), [("906.00", "EUR"), ("5.00", "JPY"), ("1.234", "KWD")])
def test_trailing_zeros_are_not_decimals(amount, currency):
    Money(Decimal(amount), currency).check_positive("a payment")


def test_a_currency_iso_4217_does_not_list_is_refused_where_it_enters():
    with pytest.raises(DomainError, match="not an ISO 4217 currency") as refused:
        Money(Decimal(1), "ABC").check_positive("a payment")
    assert refused.value.code == "unknown-currency"
