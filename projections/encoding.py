"""Turn event attributes into JSON-ready values for documents and journey entries."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from domain.accounts import InvoiceAccount
from domain.currencies import format_amount
from domain.values import Money

_ENVELOPE = {"originator_id", "originator_version", "originator_topic", "timestamp", "at", "by"}


_SCALARS = (str, int, float, bool, type(None))


def jsonable(value: Any) -> Any:  # noqa: PLR0911 -- one return per kind of value
    if isinstance(value, _SCALARS):  # most values: checked first, returned as they are
        return value
    if isinstance(value, Money):  # written with the currency's exponent, as everywhere
        return {"amount": format_amount(value.amount, value.currency), "currency": value.currency}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def payload(event: Any) -> dict[str, Any]:
    """The event's own attributes (not its envelope, nor the facts a decision was checked
    against: those are the auditors', under /audit/decisions), JSON-ready."""
    return {k: jsonable(v) for k, v in vars(event).items() if k not in _ENVELOPE and k != "checked"}


def account_of(invoice: dict[str, Any]) -> InvoiceAccount:
    """The account of a billing invoice document (its sums are kept as strings)."""
    return InvoiceAccount(*(Decimal(invoice.get(k, "0")) for k in _ACCOUNT))


#: The sums of an invoice document, in the order of ``InvoiceAccount``'s fields.
_ACCOUNT = ("amount", "paid", "credited", "written_off", "applied", "transferred")


def event_type(event: Any) -> str:
    """A stable name such as ``Invoice.PaymentReceived``."""
    return type(event).__qualname__


def actor(event: Any) -> dict[str, Any]:
    by = event.by  # built directly: dataclasses.asdict deep-copies, a fifth of catch-up time
    return {"department": by.department.value, "user": by.user, "source": by.source, "event_id": by.event_id}
