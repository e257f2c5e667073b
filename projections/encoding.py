"""Turn event attributes into JSON-ready values for documents and journey entries."""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
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
        return {k: jsonable(v) for k, v in _dataclass_items(value)}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


#: The field names of each dataclass met (a handful of value types).
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_NESTED = (list, tuple, dict, set, frozenset)


def _dataclass_items(value: Any) -> Any:
    """``asdict(value).items()``, without its deep copy when no field holds a container or a
    dataclass (an order line, a deferral): the values are then the fields' own, unchanged."""
    names = _FIELD_NAMES.get(type(value))
    if names is None:
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in fields(value))
    values = [getattr(value, name) for name in names]
    if any(isinstance(v, _NESTED) or is_dataclass(v) for v in values):
        return asdict(value).items()
    return zip(names, values, strict=True)


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
