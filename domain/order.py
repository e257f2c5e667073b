"""The Order aggregate: lines, fulfilment, and the complaints open on it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import CurrencyMismatchError, DomainError, InvalidTransitionError
from domain.values import Money, OrderLine, Principal, aggregate_id, check_known_currency


class Order(Aggregate):
    """An order of a customer: its lines and how far it got (placed, shipped, delivered,
    cancelled, returned)."""

    @staticmethod
    def create_id(order_id: str) -> UUID:
        return aggregate_id("order", order_id)

    @event("Placed")
    def __init__(
        self,
        customer_id: str,
        order_id: str,
        lines: list[OrderLine],
        currency: str,
        at: datetime,
        by: Principal,
    ) -> None:
        self.customer_id = customer_id
        self.order_id = order_id
        self.lines = list(lines)
        self.currency = currency
        self.status = "placed"

    @classmethod
    def place(
        cls,
        *,
        customer_id: str,
        order_id: str,
        lines: list[OrderLine],
        currency: str,
        at: datetime,
        by: Principal,
    ) -> Order:
        if not lines:
            raise DomainError("an order needs at least one line", "empty-order")
        check_known_currency(currency)
        return cls(
            customer_id=customer_id, order_id=order_id, lines=lines, currency=currency, at=at, by=by
        )

    @property
    def total(self) -> Money:
        return Money(sum((line.total for line in self.lines), Decimal(0)), self.currency)

    def returned_value(self, lines: Iterable[OrderLine]) -> Money:
        """What returned ``lines`` are worth, in the order's currency: quantity x unit price of
        each, as returned (``Invoice.credit_due`` caps it by what is still credit-able)."""
        return Money(sum((line.total for line in lines), Decimal(0)), self.currency)

    def check_invoice(self, amount: Money) -> None:
        """An invoice for this order is in the order's currency."""
        if amount.currency != self.currency:
            raise CurrencyMismatchError(
                f"order {self.order_id} is in {self.currency}, the invoice in {amount.currency}"
            )

    def check_product_group(self, product_group: str) -> None:
        """A complaint names a product group the order contains."""
        groups = sorted({line.product_group for line in self.lines})
        if product_group not in groups:
            raise DomainError(
                f"order {self.order_id} has no {product_group!r} items; it has {', '.join(groups)}",
                "unknown-product-group",
            )

    def check_status(self, step: str, *allowed: str) -> None:
        if self.status not in allowed:
            raise InvalidTransitionError(f"order {self.order_id} is {self.status}; cannot be {step}")

    def ship(self, *, at: datetime, by: Principal) -> None:
        self.check_status("shipped", "placed")
        self._shipped(at=at, by=by)

    @event("Shipped")
    def _shipped(self, at: datetime, by: Principal) -> None:
        self.status = "shipped"

    def deliver(self, *, at: datetime, by: Principal) -> None:
        self.check_status("delivered", "shipped")
        self._delivered(at=at, by=by)

    @event("Delivered")
    def _delivered(self, at: datetime, by: Principal) -> None:
        self.status = "delivered"

    def cancel(self, *, reason: str | None, at: datetime, by: Principal) -> None:
        self.check_status("cancelled", "placed")
        self._cancelled(reason=reason, at=at, by=by)

    @event("Cancelled")
    def _cancelled(self, reason: str | None, at: datetime, by: Principal) -> None:
        self.status = "cancelled"

    def take_back(self, *, lines: list[OrderLine] | None, at: datetime, by: Principal) -> None:
        """Record a return of some lines, or of the whole order when ``lines`` is None."""
        self.check_status("returned", "shipped", "delivered", "partially returned")
        if lines is not None and not lines:
            raise DomainError("a return needs at least one line (or none given for the whole order)", "empty-return")
        ordered = {line.sku for line in self.lines}
        unknown = sorted({line.sku for line in lines or []} - ordered)
        if unknown:
            raise DomainError(f"order {self.order_id} has no line for {', '.join(unknown)}", "unknown-line")
        self._returned(lines=list(self.lines if lines is None else lines), whole=lines is None, at=at, by=by)

    @event("Returned")
    def _returned(self, lines: list[OrderLine], whole: bool, at: datetime, by: Principal) -> None:
        self.status = "returned" if whole else "partially returned"
