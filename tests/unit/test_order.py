"""The Order aggregate through its public methods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import DomainError, InvalidTransitionError
from domain.order import Order
from domain.values import Money, OrderLine
from tests.unit.builders import (
    AT,
    BOB,
    HOSE,
    KETTLE,
    SHOP,
    SUE,
    names,
    on,
    place_order,
    round_trip,
)


@pytest.fixture
def order() -> Order:
    """A placed order of two kettles and a hose, its Placed event already collected."""
    order = place_order()
    order.collect_events()
    return order


def shipped(order: Order) -> Order:
    order.ship(at=AT, by=SHOP)
    order.collect_events()
    return order


def delivered(order: Order) -> Order:
    shipped(order).deliver(at=AT, by=SHOP)
    order.collect_events()
    return order


# Placing -------------------------------------------------------------------------------------


def test_placing_an_order_records_its_lines_and_currency():
    order = place_order()

    [placed] = order.collect_events()
    assert type(placed).__qualname__ == "Order.Placed"
    assert placed.lines == [KETTLE, HOSE]
    assert (placed.customer_id, placed.order_id, placed.currency) == ("C-1", "O-1", "EUR")
    assert (placed.at, placed.by) == (AT, SHOP)
    assert order.status == "placed"
    assert order.total == Money(Decimal("100.00"), "EUR")


def test_an_order_needs_a_line():
    with pytest.raises(DomainError, match="at least one line"):
        Order.place(customer_id="C-1", order_id="O-1", lines=[], currency="EUR", at=AT, by=SHOP)


@pytest.mark.parametrize("currency", ["eur", "EURO", "E1R"])
def test_an_order_needs_an_iso_currency(currency):
    with pytest.raises(DomainError, match="ISO 4217"):
        place_order(currency=currency)


def test_an_order_line_needs_a_quantity_and_a_price():
    with pytest.raises(DomainError, match="quantity of KET-1"):
        OrderLine("KET-1", "kitchen", 0, Decimal("1"))
    with pytest.raises(DomainError, match="unit price of KET-1"):
        OrderLine("KET-1", "kitchen", 1, Decimal("-0.01"))
    assert OrderLine("KET-1", "kitchen", 3, "1.10").total == Decimal("3.30")


# Fulfilment ------------------------------------------------------------------------------------


def test_a_placed_order_is_shipped_then_delivered(order):
    order.ship(at=on(date(2026, 3, 2)), by=SHOP)
    order.deliver(at=on(date(2026, 3, 4)), by=SHOP)

    events = order.collect_events()
    assert names(events) == ["Order.Shipped", "Order.Delivered"]
    assert [e.at.date() for e in events] == [date(2026, 3, 2), date(2026, 3, 4)]
    assert order.status == "delivered"


def test_an_order_cannot_be_delivered_before_it_is_shipped(order):
    with pytest.raises(InvalidTransitionError, match="order O-1 is placed; cannot be delivered"):
        order.deliver(at=AT, by=SHOP)

    assert order.collect_events() == []
    assert order.status == "placed"


def test_an_order_is_shipped_only_once(order):
    shipped(order)

    with pytest.raises(InvalidTransitionError, match="is shipped; cannot be shipped"):
        order.ship(at=AT, by=SHOP)

    assert order.collect_events() == []


def test_a_placed_order_can_be_cancelled(order):
    order.cancel(reason="changed my mind", at=AT, by=SHOP)

    [cancelled] = order.collect_events()
    assert type(cancelled).__qualname__ == "Order.Cancelled"
    assert cancelled.reason == "changed my mind"
    assert order.status == "cancelled"


def test_a_shipped_order_cannot_be_cancelled(order):
    shipped(order)

    with pytest.raises(InvalidTransitionError, match="is shipped; cannot be cancelled"):
        order.cancel(reason=None, at=AT, by=SHOP)

    assert order.collect_events() == []
    assert order.status == "shipped"


def test_a_cancelled_order_is_not_shipped(order):
    order.cancel(reason=None, at=AT, by=SHOP)
    order.collect_events()

    with pytest.raises(InvalidTransitionError, match="is cancelled"):
        order.ship(at=AT, by=SHOP)
    with pytest.raises(InvalidTransitionError, match="is cancelled"):
        order.take_back(lines=None, at=AT, by=SHOP)

    assert order.collect_events() == []


# Returns -----------------------------------------------------------------------------------------


def test_a_delivered_order_is_returned_whole(order):
    delivered(order)

    order.take_back(lines=None, at=AT, by=SHOP)

    [returned] = order.collect_events()
    assert type(returned).__qualname__ == "Order.Returned"
    assert (returned.lines, returned.whole) == ([KETTLE, HOSE], True)
    assert order.status == "returned"


def test_a_shipped_order_can_be_returned(order):
    shipped(order)

    order.take_back(lines=None, at=AT, by=SHOP)

    assert order.status == "returned"


def test_some_lines_are_returned_then_the_rest(order):
    # 1. the hose goes back first
    delivered(order)
    order.take_back(lines=[HOSE], at=AT, by=SHOP)
    assert order.status == "partially returned"

    # 2. the rest of the order follows
    order.take_back(lines=None, at=AT, by=SHOP)

    events = order.collect_events()
    assert [(e.lines, e.whole) for e in events] == [([HOSE], False), ([KETTLE, HOSE], True)]
    assert order.status == "returned"


def test_a_placed_order_cannot_be_returned(order):
    with pytest.raises(InvalidTransitionError, match="is placed; cannot be returned"):
        order.take_back(lines=None, at=AT, by=SHOP)

    assert order.collect_events() == []


def test_a_returned_order_cannot_be_returned_again(order):
    delivered(order)
    order.take_back(lines=None, at=AT, by=SHOP)
    order.collect_events()

    with pytest.raises(InvalidTransitionError, match="is returned"):
        order.take_back(lines=[KETTLE], at=AT, by=SHOP)

    assert order.collect_events() == []


def test_a_return_of_a_sku_not_in_the_order_is_refused(order):
    delivered(order)
    toaster = OrderLine("TOA-3", "kitchen", 1, Decimal("30.00"))
    lamp = OrderLine("LAM-2", "living", 1, Decimal("12.00"))

    with pytest.raises(DomainError, match="order O-1 has no line for LAM-2, TOA-3"):
        order.take_back(lines=[KETTLE, toaster, lamp], at=AT, by=SHOP)

    assert order.collect_events() == []
    assert order.status == "delivered"


def test_a_return_of_no_lines_is_refused(order):
    # regression: an empty list once recorded a partial return of every line of the order
    delivered(order)

    with pytest.raises(DomainError):
        order.take_back(lines=[], at=AT, by=SHOP)

    assert order.collect_events() == []
    assert order.status == "delivered"


# Envelope and persistence ----------------------------------------------------------------------------


def busy_order() -> Order:
    order = place_order(lines=[KETTLE, HOSE, OrderLine("MUG-4", "kitchen", 6, "3.333")])
    order.ship(at=on(date(2026, 3, 2)), by=SHOP)
    order.deliver(at=on(date(2026, 3, 3)), by=BOB)
    order.take_back(lines=[HOSE], at=on(date(2026, 3, 4)), by=SUE)
    return order


def test_every_order_event_carries_its_actor_and_time():
    events = busy_order().collect_events()

    assert names(events) == ["Order.Placed", "Order.Shipped", "Order.Delivered", "Order.Returned"]
    assert [e.by for e in events] == [SHOP, SHOP, BOB, SUE]
    assert [e.at.date().day for e in events] == [1, 2, 3, 4]


def test_an_order_read_back_from_its_events_equals_the_original():
    original = busy_order()

    restored, sent, stored = round_trip(original)

    assert vars(restored) == vars(original)
    assert stored == sent
    assert restored.lines[2] == OrderLine("MUG-4", "kitchen", 6, Decimal("3.333"))
    assert type(restored.lines[2].unit_price) is Decimal
    assert stored[3].lines == [HOSE]
    assert restored.status == "partially returned"
