"""The journey's event mapper: eventsourcing's Mapper, with every personal field of an event
(``domain.personal``, and the acting staff member ``by.user``) sealed with the customer's data
key before the event is transcoded, and opened after it is decoded.

The application uses this one mapper for everything it stores and reads (the writer, the
projectors, the relay, as-of reads and exports), so no path sees a stored token or stores
plaintext. A field whose customer was erased reads as ``domain.personal.ERASED``; a field
stored as plaintext before encryption was introduced reads as it is.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.persistence import EventStore, Mapper, Recording, StoredEvent, Transcoder

from adapters.personal_cipher import FieldCipher, KeyRing, is_token, token_owner
from domain.personal import ERASED, PERSONAL_FIELDS
from domain.values import Principal

_BY_USER = "by.user"
FirstEvent = Callable[[UUID], StoredEvent | None]


class PersonalDataMapper(Mapper[UUID]):
    """Seals and opens personal fields with per-customer keys (adapters.personal_cipher)."""

    def __init__(self, transcoder: Transcoder, keys: KeyRing, *, owners: int = 100_000) -> None:
        super().__init__(transcoder)
        self.keys = keys
        self.fields = FieldCipher(keys)
        self.first_event: FirstEvent = lambda _: None
        self._owners: OrderedDict[UUID, str] = OrderedDict()
        self._owners_size = owners

    # Whose key -------------------------------------------------------------------------------

    def _remember(self, originator_id: UUID, customer_id: str) -> None:
        if originator_id not in self._owners:
            self._owners[originator_id] = customer_id
            if len(self._owners) > self._owners_size:
                self._owners.popitem(last=False)

    def _note_owner(self, event: Any) -> None:
        customer_id = getattr(event, "customer_id", None)
        if isinstance(customer_id, str):
            self._remember(event.originator_id, customer_id)

    def owner_of(self, event: Any) -> str:
        """The customer whose key seals ``event``'s personal fields: the event's ``customer_id``
        (every creating event names it), else that of its aggregate's first event."""
        customer_id = getattr(event, "customer_id", None)
        if isinstance(customer_id, str):
            self._remember(event.originator_id, customer_id)
            return customer_id
        known = self._owners.get(event.originator_id)
        if known is not None:
            return known
        first = self.first_event(event.originator_id)
        if first is None:
            raise LookupError(f"no customer known for aggregate {event.originator_id}")
        customer_id = self.transcoder.decode(first.state)["customer_id"]
        self._remember(event.originator_id, customer_id)
        return customer_id

    def prepare(self, events: Sequence[Any]) -> None:
        """Create (or load) the keys of every customer ``events`` hold personal data of, in one
        round trip per step, before any of them is mapped."""
        owners = []
        for event in events:
            self._note_owner(event)
            if _personal(vars(event)):
                owners.append(self.owner_of(event))
        self.keys.ensure(owners)

    # Sealing and opening ---------------------------------------------------------------------

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = vars(domain_event)
        self._note_owner(domain_event)
        fields = _personal(state)
        if not fields:
            return super().to_stored_event(domain_event)
        customer_id = self.owner_of(domain_event)
        aggregate = domain_event.originator_id.bytes
        sealed = dict(state)
        for field in fields:
            if field == _BY_USER:
                by: Principal = state["by"]
                token = self.fields.encrypt(self._plaintext(by.user), customer_id, aggregate, field)
                sealed["by"] = Principal(by.department, token, by.source, by.event_id)
            else:
                sealed[field] = self.fields.encrypt(self._plaintext(state[field]), customer_id, aggregate, field)
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", sealed)
        return super().to_stored_event(copy)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self._opened(super().to_domain_event(stored_event))

    def to_domain_events(self, stored_events: Sequence[StoredEvent]) -> list[Any]:
        """``to_domain_event`` of each of ``stored_events``, with the keys of every customer
        whose tokens they hold looked up in one round trip (``KeyRing.prefetch``) rather than
        one per customer: what reading a page of the log (projecting, rebuilding) calls."""
        decoded = [Mapper.to_domain_event(self, stored) for stored in stored_events]
        owners: set[str] = set()
        for event in decoded:
            state = vars(event)
            for field in PERSONAL_FIELDS.intersection(state):
                if is_token(state[field]):
                    owners.add(token_owner(state[field]))
            by = state.get("by")
            if isinstance(by, Principal) and isinstance(by.user, str) and is_token(by.user):
                owners.add(token_owner(by.user))
        self.keys.prefetch(owners)
        return [self._opened(event) for event in decoded]

    def _opened(self, event: Any) -> Any:
        """``event`` (decoded) with its personal fields opened, in place."""
        state = vars(event)
        customer_id = state.get("customer_id")
        if isinstance(customer_id, str):
            self._remember(event.originator_id, customer_id)
        aggregate = event.originator_id.bytes
        for field in PERSONAL_FIELDS.intersection(state):
            if is_token(state[field]):
                state[field] = self._open(state[field], aggregate, field)
        by = state.get("by")
        if isinstance(by, Principal) and isinstance(by.user, str) and is_token(by.user):
            # The Principal was just decoded for this event alone: open its user in place.
            object.__setattr__(by, "user", self._open(by.user, aggregate, _BY_USER))
        return event

    def _plaintext(self, value: Any) -> bytes:
        """What is sealed: a string as UTF-8 after ``s`` (most values), anything else (a
        birthday) transcoded to JSON after ``j``."""
        if type(value) is str:
            return b"s" + value.encode()
        return b"j" + self.transcoder.encode(value)

    def _open(self, token: str, aggregate: bytes, field: str) -> Any:
        plaintext = self.fields.decrypt(token, aggregate, field)
        if plaintext is None:
            return ERASED
        return plaintext[1:].decode() if plaintext[:1] == b"s" else self.transcoder.decode(plaintext[1:])


def _personal(state: dict[str, Any]) -> list[str]:
    """The personal fields of an event's state that hold a value to seal."""
    fields = [f for f in PERSONAL_FIELDS.intersection(state) if state[f] is not None and not is_token(state[f])]
    by = state.get("by")
    if isinstance(by, Principal) and by.user is not None and not is_token(by.user):
        fields.append(_BY_USER)
    return fields



class SealingEventStore(EventStore[UUID]):
    """eventsourcing's EventStore, preparing the keys a write needs before mapping its events."""

    mapper: PersonalDataMapper

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Recording[UUID]]:
        self.mapper.prepare(domain_events)
        return super().put(domain_events, **kwargs)


class KeyCheckedRepository(Repository[UUID]):
    """eventsourcing's Repository, whose cached aggregates never outlive their customer's data
    key: an aggregate cached while the key was another (an erasure destroyed it since) is read
    again from the store, where its personal fields now read as erased. A process notices an
    erasure made elsewhere within the key cache's ``ttl``."""

    def __init__(self, keys: KeyRing, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = keys
        self._seen: dict[UUID, tuple[str, str | None]] = {}

    def _kid(self, customer_id: str) -> str | None:
        key = self.keys.for_reading(customer_id)
        return None if key is None else key.kid

    def get(self, aggregate_id: UUID, **kwargs: Any) -> Any:
        if not self.cache or kwargs.get("version") is not None:
            return super().get(aggregate_id, **kwargs)
        seen = self._seen.get(aggregate_id)
        if seen is None or self._kid(seen[0]) != seen[1]:
            try:
                self.cache.get(aggregate_id, evict=True)
            except KeyError:
                pass
        aggregate = super().get(aggregate_id, **kwargs)
        customer_id = getattr(aggregate, "customer_id", None)
        if isinstance(customer_id, str):
            if len(self._seen) > 100_000:
                self._seen.clear()  # the cached aggregates are then read again, once each
            self._seen[aggregate_id] = (customer_id, self._kid(customer_id))
        return aggregate
