"""JSON transcodings for the domain's value objects, so events store as plain JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Transcoding

from domain.holds import Deferral
from domain.values import Money, OrderLine, Principal


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class MoneyAsDict(Transcoding):
    type = Money
    name = "money"

    def encode(self, obj: Money) -> dict[str, Any]:
        return {"amount": str(obj.amount), "currency": obj.currency}

    def decode(self, data: dict[str, Any]) -> Money:
        return Money(Decimal(data["amount"]), data["currency"])


class PrincipalAsDict(Transcoding):
    type = Principal
    name = "principal"

    def encode(self, obj: Principal) -> dict[str, Any]:
        encoded = {"department": str(obj.department), "user": obj.user, "source": obj.source}
        if obj.event_id is not None:
            encoded["event_id"] = obj.event_id
        return encoded

    def decode(self, data: dict[str, Any]) -> Principal:
        return Principal(**data)


class OrderLineAsDict(Transcoding):
    type = OrderLine
    name = "order_line"

    def encode(self, obj: OrderLine) -> dict[str, Any]:
        return {
            "sku": obj.sku,
            "product_group": obj.product_group,
            "quantity": obj.quantity,
            "unit_price": str(obj.unit_price),
        }

    def decode(self, data: dict[str, Any]) -> OrderLine:
        return OrderLine(
            sku=data["sku"],
            product_group=data["product_group"],
            quantity=data["quantity"],
            unit_price=Decimal(data["unit_price"]),
        )


class DeferralAsDict(Transcoding):
    type = Deferral
    name = "deferral"

    def encode(self, obj: Deferral) -> dict[str, Any]:
        return {"until": obj.until.isoformat(), "reason": obj.reason, "granted_by": obj.granted_by,
                "number": obj.number, "department": obj.department}

    def decode(self, data: dict[str, Any]) -> Deferral:
        return Deferral(
            date.fromisoformat(data["until"]), data["reason"], data["granted_by"],
            data.get("number", 0), data.get("department", ""),
        )


def register_journey_transcodings(transcoder: JSONTranscoder) -> None:
    """Teach ``transcoder`` every value type that appears in a journey event."""
    for transcoding in (
        DecimalAsStr(),
        DatetimeAsISO(),
        DateAsISO(),
        MoneyAsDict(),
        PrincipalAsDict(),
        OrderLineAsDict(),
        DeferralAsDict(),
    ):
        transcoder.register(transcoding)
