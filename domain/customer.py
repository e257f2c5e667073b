"""The Customer aggregate."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidTransitionError
from domain.personal import ERASED
from domain.values import Principal, aggregate_id


class Customer(Aggregate):
    """A customer, known by the id the shop gives it (the CloudEvents ``subject``)."""

    @staticmethod
    def create_id(customer_id: str) -> UUID:
        return aggregate_id("customer", customer_id)

    class Registered(Aggregate.Created):
        """Version 2 added ``phone`` and ``address``; a version 1 event reads with neither."""

        customer_id: str
        name: str
        email: str
        birthday: date | None
        at: datetime
        by: Principal
        phone: str | None = None
        address: str | None = None

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state.setdefault("phone", None)
            state.setdefault("address", None)

    @event(Registered)
    def __init__(
        self,
        customer_id: str,
        name: str,
        email: str,
        birthday: date | None,
        at: datetime,
        by: Principal,
        phone: str | None = None,
        address: str | None = None,
    ) -> None:
        self.customer_id = customer_id
        self.name = name
        self.email = email
        self.birthday = birthday
        self.phone = phone
        self.address = address
        self.erased = False

    def check_not_erased(self, step: str) -> None:
        if getattr(self, "erased", False):
            raise InvalidTransitionError(
                f"the personal data of customer {self.customer_id} was erased; cannot be {step}"
            )

    def change_contact_details(
        self,
        *,
        email: str | None,
        phone: str | None,
        address: str | None,
        at: datetime,
        by: Principal,
    ) -> None:
        self.check_not_erased("changed")
        if email is None and phone is None and address is None:
            raise DomainError("no contact detail to change", "nothing-to-change")
        self._contact_details_changed(email=email, phone=phone, address=address, at=at, by=by)

    @event("ContactDetailsChanged")
    def _contact_details_changed(
        self, email: str | None, phone: str | None, address: str | None, at: datetime, by: Principal
    ) -> None:
        self.email = email or self.email
        self.phone = phone or self.phone
        self.address = address or self.address

    def erase_personal_data(self, *, at: datetime, by: Principal) -> None:
        """Record that the customer's personal data is erased (right to be forgotten). The event
        holds none: the customer id, the time and the erasing department, not who erased. The
        store destroys the customer's data key after recording it (services.privacy)."""
        self.check_not_erased("erased again")
        self._personal_data_erased(customer_id=self.customer_id, at=at, by=Principal(by.department))

    @event("PersonalDataErased")
    def _personal_data_erased(self, customer_id: str, at: datetime, by: Principal) -> None:
        self.erased = True
        self.name = self.email = ERASED
        self.birthday = None if self.birthday is None else ERASED  # type: ignore[assignment]
        self.phone = None if self.phone is None else ERASED
        self.address = None if self.address is None else ERASED
