"""Value objects shared by every aggregate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from domain.currencies import check_amount, format_amount, minor_units
from domain.errors import CurrencyMismatchError, DomainError

#: Namespace of the deterministic aggregate ids: uuid5(JOURNEY_NAMESPACE, "<kind>:<natural id>").
JOURNEY_NAMESPACE = uuid.UUID("6f0c1f5e-6a53-4a8e-9f37-6a1f2f9c0b51")


@lru_cache(maxsize=4096)  # a batch computes the same ids several times; bounded: memory stays flat
def aggregate_id(kind: str, natural_id: str) -> uuid.UUID:
    """The stable id of the aggregate of ``kind`` known outside as ``natural_id``."""
    return uuid.uuid5(JOURNEY_NAMESPACE, f"{kind}:{natural_id}")


class Department(StrEnum):
    """Who acts on a customer's journey."""

    BILLING = "billing"
    SUPPORT = "support"
    SALES = "sales"
    MARKETING = "marketing"
    INTEGRATOR = "integrator"
    AUDITOR = "auditor"
    PRIVACY = "privacy"


_DEPARTMENTS = {d.value: d for d in Department}


@dataclass(frozen=True)
class Principal:
    """The actor recorded on every event: a department and a user, or an integrator ``source``
    with the ``event_id`` of the CloudEvent it published the touchpoint as."""

    department: Department
    user: str | None = None
    source: str | None = None
    event_id: str | None = None

    def __post_init__(self) -> None:
        department = self.department
        if type(department) is not Department:  # decoded events name it by value: look it up
            member = _DEPARTMENTS.get(department) if isinstance(department, str) else None
            object.__setattr__(self, "department", member if member is not None else Department(department))

    @property
    def label(self) -> str:
        """``department:user`` (or ``department:source``), as shown to people."""
        return f"{self.department}:{self.user or self.source or 'unknown'}"


def check_currency_code(currency: str) -> None:
    """Refuse anything but a three-letter upper-case ISO 4217 code."""
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise DomainError(f"currency must be a three-letter ISO 4217 code, got {currency!r}", "invalid-currency")


def check_known_currency(currency: str) -> None:
    """Refuse a code ISO 4217 does not list with minor units (checked where a currency enters
    the journey: an order's, an invoice's)."""
    check_currency_code(currency)
    minor_units(currency)


@dataclass(frozen=True)
class Money:
    """An amount in one ISO 4217 currency; never a float."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", Decimal(str(self.amount)))
        check_currency_code(self.currency)

    def check_positive(self, what: str) -> None:
        """Refuse zero and negative amounts, and amounts with more decimals than the currency
        allows (ISO 4217 minor units); ``what`` names the amount in the message. Checked where
        an amount enters the journey, not on construction, so events stored earlier still load."""
        check_amount(self.amount, self.currency)
        if self.amount <= 0:
            raise DomainError(f"{what} must be positive", "invalid-amount")

    def check_same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{other.currency} does not match {self.currency}")

    def __add__(self, other: Money) -> Money:
        self.check_same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self.check_same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __str__(self) -> str:
        """"50.00 EUR": written with the currency's exponent."""
        return f"{format_amount(self.amount, self.currency)} {self.currency}"


@dataclass(frozen=True)
class OrderLine:
    """One line of an order: a quantity of one SKU of a product group at a unit price."""

    sku: str
    product_group: str
    quantity: int
    unit_price: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.unit_price, Decimal):
            object.__setattr__(self, "unit_price", Decimal(str(self.unit_price)))
        if self.quantity < 1:
            raise DomainError(f"quantity of {self.sku} must be at least 1", "invalid-quantity")
        if self.unit_price < 0:
            raise DomainError(f"unit price of {self.sku} must not be negative", "invalid-amount")

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity
