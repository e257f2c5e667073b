"""Named errors raised by the domain's guards."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.holds import Refusal


class DomainError(Exception):
    """A command or fact breaks a rule of the domain; nothing is recorded. ``code`` names the
    rule for clients (problem+json ``code``)."""

    code = "domain-rule"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class CurrencyMismatchError(DomainError):
    code = "currency-mismatch"


class InvalidTransitionError(DomainError):
    """The aggregate is not in a state that allows this step."""

    code = "invalid-transition"


class DunningRefusedError(DomainError):
    """A dunning step or collection hand-off is refused; ``refusals`` names every reason."""

    code = "dunning-refused"

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals
        super().__init__("; ".join(r.detail for r in refusals))


class UnknownError(DomainError):
    """A command names an aggregate that was never recorded; ``code`` is ``unknown-<kind>``."""

    def __init__(self, kind: str, natural_id: str) -> None:
        self.kind = kind
        self.natural_id = natural_id
        self.code = f"unknown-{kind}"
        super().__init__(f"no {kind} {natural_id!r} is known")


class AlreadyExistsError(DomainError):
    """A command would create an aggregate that is already recorded."""

    def __init__(self, kind: str, natural_id: str) -> None:
        self.code = f"{kind}-exists"
        super().__init__(f"{kind} {natural_id!r} already exists")


class WrongCustomerError(DomainError):
    """A command names an aggregate that belongs to another customer."""

    code = "wrong-customer"


class TimeOutOfRangeError(DomainError):
    """A business time lies outside what the service accepts; ``earliest`` and ``latest`` name
    the allowed range."""

    code = "time-out-of-range"

    def __init__(self, message: str, earliest: datetime, latest: datetime) -> None:
        self.earliest = earliest
        self.latest = latest
        super().__init__(message)
