"""CloudEvents the shop publishes, as the API's tests send them: source ``shop`` throughout."""

from __future__ import annotations

from datetime import date, timedelta

OVERDUE = (date.today() - timedelta(days=30)).isoformat()


def event(type_: str, subject: str, data: dict, id_: str) -> dict:
    """One structured CloudEvent from the shop."""
    return {"specversion": "1.0", "id": id_, "source": "shop", "type": type_, "subject": subject, "data": data}


def customer(cid: str) -> list[dict]:
    """A customer with an order (tools) and its overdue invoice of 100.00 EUR: three CloudEvents,
    ids ``<cid>-1`` to ``<cid>-3``."""
    return [
        event("customer.registered", cid, {"name": "Ann", "email": "ann@example.org"}, f"{cid}-1"),
        event("order.placed", cid, {"order_id": f"{cid}-o", "currency": "EUR", "lines": [
            {"sku": "DRILL", "product_group": "tools", "quantity": 1, "unit_price": "100.00"}]}, f"{cid}-2"),
        event("invoice.issued", cid, {"invoice_id": f"{cid}-i", "order_id": f"{cid}-o", "amount": "100.00",
                                      "currency": "EUR", "due_date": OVERDUE}, f"{cid}-3"),
    ]
