"""The JSON schemas of what ``journey relay`` writes to Kafka, generated from the domain's event
classes (``adapters/kafka_events.py`` writes the messages; ``docs/asyncapi.yaml`` names these).

A ``journey.events`` value is ``public_data(event)``: the event's dataclass fields without the
envelope and without ``domain.personal.PERSONAL_FIELDS``, rendered by ``jsonable`` (Money as
``{amount, currency}`` with the currency's exponent, decimals as strings, dates and times in ISO
8601), and ``by`` as the acting department without the user. The models below are built from the
same dataclass fields and type hints, so a new event type or field shows up here by itself.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from adapters.kafka_events import PROFILE_FIELDS, ce_type
from domain.complaint import Complaint
from domain.contact_book import ContactBook
from domain.customer import Customer
from domain.invoice import Invoice
from domain.loyalty_card import LoyaltyCard
from domain.order import Order
from domain.personal import ENVELOPE_FIELDS, PERSONAL_FIELDS
from domain.raffle import Raffle
from domain.values import Money, Principal

#: The aggregates whose events make up the shared stream.
AGGREGATES: tuple[type[Any], ...] = (Customer, Order, Invoice, Complaint, ContactBook, LoyaltyCard, Raffle)
#: Nested classes of an aggregate that are not events of their own.
_NOT_STORED = frozenset({"Event", "Created", "Snapshot"})
#: A decimal as ``jsonable`` writes it.
_DECIMAL = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$")]
_FORBID = ConfigDict(extra="forbid")


class PublicMoney(BaseModel):
    """An amount in one ISO 4217 currency, written with the currency's exponent ("213.90" EUR,
    "500" JPY)."""

    model_config = _FORBID

    amount: _DECIMAL
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


def stored_event_classes() -> list[type[Any]]:
    """Every event class an aggregate records, in aggregate then definition order."""
    return [
        cls
        for aggregate in AGGREGATES
        for name, cls in vars(aggregate).items()
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and name not in _NOT_STORED
    ]


def ce_type_of(event_class: type[Any]) -> str:
    """The ``ce_type`` the relay gives events of ``event_class`` (``ce_type`` reads only the class)."""
    return ce_type(object.__new__(event_class))


def _public(tp: Any) -> Any:  # noqa: PLR0911 -- one return per kind of value, as in jsonable
    """The type of ``jsonable(value)`` for a value of type ``tp``."""
    if tp is Money:
        return PublicMoney
    if tp is Decimal:
        return _DECIMAL
    if tp in (str, int, bool, date, datetime, type(None)):
        return tp
    if isinstance(tp, type) and issubclass(tp, Enum):
        return Literal[tuple(member.value for member in tp)]
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, [_public(arg) for arg in get_args(tp)])
    if origin in (list, tuple):
        return list[_public(get_args(tp)[0])]  # type: ignore[misc]  # a type made at run time
    if origin is dict:  # the facts a decision was checked against (domain.provenance): JSON already
        return dict[str, Any]
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _model(f"Public{tp.__name__}", tp, exclude=PERSONAL_FIELDS)
    raise TypeError(f"no JSON form is known for {tp!r}")


def _model(name: str, cls: type[Any], *, exclude: frozenset[str], doc: str | None = None) -> type[BaseModel]:
    """A model of the fields of dataclass ``cls`` but ``exclude``, every one always present."""
    hints = get_type_hints(cls)
    fields: dict[str, Any] = {
        f.name: (_public(hints[f.name]), ...) for f in dataclasses.fields(cls) if f.name not in exclude
    }
    return create_model(name, __config__=_FORBID, __doc__=doc or cls.__doc__, **fields)


#: ``by`` on ``journey.events``: the acting department, and for an integrator its source and
#: CloudEvent id; never the user.
PublicActor = _model("PublicActor", Principal, exclude=frozenset({"user"}), doc=(
    "Who acted: the department, and for an integrator its `source` and the CloudEvent `event_id` "
    "(the user is personal data and is left out)."))


_PUBLIC: dict[type[Any], type[BaseModel]] = {}


def public_model(event_class: type[Any]) -> type[BaseModel]:
    """The model of ``public_data(event)`` for events of ``event_class``."""
    if event_class not in _PUBLIC:
        _PUBLIC[event_class] = _public_model(event_class)
    return _PUBLIC[event_class]


def _public_model(event_class: type[Any]) -> type[BaseModel]:
    name = event_class.__qualname__
    model = _model(
        "Public" + name.replace(".", ""), event_class, exclude=PERSONAL_FIELDS | ENVELOPE_FIELDS | {"by"},
        doc=f"`{name}` on journey.events (`{ce_type_of(event_class)}`): its fields without personal data.",
    )
    return create_model(model.__name__, __base__=model, __doc__=model.__doc__, by=(PublicActor, ...))


def profile_model() -> type[BaseModel]:
    """The value of a ``journey.customers`` message: the customer's current profile."""
    return _model("CustomerProfile", Customer.Registered, exclude=frozenset(
        f.name for f in dataclasses.fields(Customer.Registered) if f.name not in PROFILE_FIELDS),
        doc="The customer's current profile (personal data); a null value (tombstone) once the person is erased.")


Watermark = create_model(
    "Watermark", __config__=_FORBID, __doc__="The partition holds every event up to `position`.",
    position=(int, Field(ge=0)),
)
