"""``journey relay``: the shared stream, in position order, on Kafka.

One round reads a page of the stream after the relay's tracked position, sends every event to
``journey.events`` (keyed by customer id, no personal data) and every change of a customer's
profile to the compacted ``journey.customers``, then a watermark to every partition, waits until
the broker acknowledged all of it, and only then records the page's last position in the
database. A crash before that record re-sends the page: a consumer recognises the duplicates by
their ``journey_position`` (at or below what it has applied). Nothing is skipped: the position
only moves past acknowledged messages.

A partition's offsets only grow. When the broker acknowledges an offset lower than one it
acknowledged before, the partition lost its log (a broker restarted empty, a topic deleted and
created again): the relay starts over from position 0, so every consumer can rebuild; they skip
what they have applied already.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from adapters.kafka_events import (
    PROFILE_FIELDS,
    Message,
    StreamProducer,
    event_message,
    partition_for,
    profile_message,
    watermark_message,
)
from adapters.kafka_tables import KafkaTables, PartitionCountError, RelayState
from adapters.kafka_touchpoints import COMPACTED, KEEP_ALL, ensure_topics
from domain.customer import Customer
from projections.encoding import event_type
from services.heartbeat import Heartbeat
from services.journey import JourneyApplication
from services.settings import Settings, kafka_options
from services.supervisor import Supervised

log = logging.getLogger(__name__)

#: The relay's row in the relay table.
RELAY = "journey-events"
#: The events after which a customer's profile goes to the customers topic.
PROFILE_EVENTS = frozenset({"Customer.Registered", "Customer.ContactDetailsChanged"})
#: What a mailing tool reading Kafka needs: the contacts the rule allowed, and those cancelled
#: before it took them (a withdrawn consent, an erasure).
CONTACT_EVENTS = frozenset({"ContactBook.ContactMade", "ContactBook.ContactCancelled"})
#: The event after which the customer's profile is deleted from it (a tombstone).
ERASURE = "Customer.PersonalDataErased"


@dataclass(frozen=True)
class Topics:
    """Where the relay writes: the events topic, the compacted profile topic, and the contacts
    the contact rule allowed (``ContactBook.ContactMade``, as on the events topic), for a
    mailing tool that reads Kafka instead of ``GET /outbox``."""

    events: str = "journey.events"
    customers: str = "journey.customers"
    contacts: str = "journey.contacts"


class RelayConflictError(Exception):
    """Another relay recorded its position during this one's round."""


class CustomerIds:
    """The customer id of any event: creation events carry it; later events are looked up by
    their aggregate (its first event) and remembered, up to ``size`` aggregates. An aggregate of
    no customer (a raffle) is keyed ``<kind>:<its id>``, e.g. ``raffle:R-2026-spring``."""

    def __init__(self, app: JourneyApplication, size: int = 100_000) -> None:
        self.app = app
        self.size = size
        self._known: OrderedDict[UUID, str] = OrderedDict()

    def of(self, event: Any) -> str:
        customer_id = getattr(event, "customer_id", None)
        if customer_id is None:
            customer_id = self._known.get(event.originator_id)
            if customer_id is None:
                first = self.app.mapper.to_domain_event(self.app.recorder.select_events(event.originator_id, limit=1)[0])
                customer_id = getattr(first, "customer_id", None) or company_key(first)
        self._known[event.originator_id] = customer_id
        self._known.move_to_end(event.originator_id)
        if len(self._known) > self.size:
            self._known.popitem(last=False)
        return customer_id


def company_key(first: Any) -> str:
    """The key of an aggregate of no customer, from its first event: ``raffle:R-1``."""
    kind = type(first).__qualname__.split(".")[0].lower()
    return f"{kind}:{getattr(first, f'{kind}_id', first.originator_id.hex)}"


class Relay:
    """Publishes the stream of ``app`` to Kafka, a page of ``batch_size`` events per round."""

    def __init__(  # noqa: PLR0913
        self,
        app: JourneyApplication,
        state: KafkaTables,
        producer: StreamProducer,
        topics: Topics = Topics(),
        *,
        batch_size: int = 1000,
        send_timeout: float = 30.0,
        idle_watermark_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.state = state
        self.producer = producer
        self.topics = topics
        self.batch_size = batch_size
        self.send_timeout = send_timeout
        self.idle_watermark_seconds = idle_watermark_seconds
        self.clock = clock
        self.customers = CustomerIds(app)
        self._sent_at = float("-inf")

    def position(self) -> int:
        """The stream position the broker has acknowledged up to."""
        return self.state.relay_state(RELAY).position

    def round(self) -> int:
        """Publish the next page; returns how many events it held (0: nothing new). With
        nothing new for ``idle_watermark_seconds``, the watermarks are sent again: that keeps
        checking that the broker still holds what it acknowledged."""
        state = self.state.relay_state(RELAY)
        page = self.app.recorder.select_notifications(
            start=state.position, limit=self.batch_size, inclusive_of_start=False
        )
        if not page and self.clock() - self._sent_at < self.idle_watermark_seconds:
            return 0
        partitions = self.producer.partitions(self.topics.events)
        if state.partitions not in (None, partitions) and state.position:
            raise PartitionCountError(
                f"{self.topics.events} has {partitions} partitions, the relay published to {state.partitions}: "
                "customers would move between partitions; publish to a new topic (JOURNEY_KAFKA_EVENTS_TOPIC)"
            )
        previous = dict(state.previous or {})
        messages: list[Message] = []
        contact_partitions = 0
        if page:
            customer_partitions = self.producer.partitions(self.topics.customers)
        for notification in page:
            event = self.app.mapper.to_domain_event(notification)
            customer_id = self.customers.of(event)
            partition = partition_for(customer_id, partitions)
            messages.append(event_message(
                self.topics.events, event, notification.id, customer_id, partition, previous.get(partition, 0)
            ))
            previous[partition] = notification.id
            if event_type(event) in CONTACT_EVENTS:
                contact_partitions = contact_partitions or self.producer.partitions(self.topics.contacts)
                messages.append(event_message(  # no chain of positions on this topic: previous is 0
                    self.topics.contacts, event, notification.id, customer_id,
                    partition_for(customer_id, contact_partitions), 0,
                ))
            if event_type(event) in PROFILE_EVENTS or event_type(event) == ERASURE:
                profile = None if event_type(event) == ERASURE else self._profile(event)
                messages.append(profile_message(
                    self.topics.customers, customer_id, profile, notification.id,
                    partition_for(customer_id, customer_partitions),
                ))
        last = page[-1].id if page else state.position
        messages += [watermark_message(self.topics.events, last, p, previous.get(p, 0)) for p in range(partitions)]
        self._publish(messages, state, RelayState(last, previous, state.offsets, partitions))
        return len(page)

    def _publish(self, messages: list[Message], start: RelayState, reached: RelayState) -> None:
        """Send ``messages``; once all are acknowledged record ``reached`` with the offsets,
        or, when a partition's offsets went back, start over from position 0. The record is a
        compare and set on the position the round started from: another relay recording
        meanwhile (a lease lost) makes this round count for nothing."""
        acknowledged = self.producer.send_all(messages, self.send_timeout)
        self._sent_at = self.clock()
        offsets = dict(reached.offsets or {})
        events = {p: span for (topic, p), span in acknowledged.items() if topic == self.topics.events}
        lost = any(low <= offsets.get(p, -1) for p, (low, _) in events.items())
        if lost:
            log.warning("%s lost messages the broker had acknowledged; publishing the stream again from "
                        "position 0", self.topics.events)
            reached = RelayState(0, {}, {}, reached.partitions)
        offsets.update({p: high for p, (_, high) in events.items()})
        recorded = RelayState(reached.position, reached.previous, offsets, reached.partitions)
        if not self.state.save_relay_state(RELAY, recorded, expected=start.position):
            raise RelayConflictError(
                f"another relay recorded its position while this one published from {start.position}: "
                "only one relay may publish (its lease was lost); reading the position again"
            )

    def catch_up(self, stopping: Callable[[], bool] = lambda: False) -> int:
        """Publish until the stream is exhausted; returns the position reached."""
        while not stopping() and self.round():
            pass
        return self.position()

    def _profile(self, event: Any) -> dict[str, Any]:
        """The customer's profile as of ``event`` (a registration is one already)."""
        if isinstance(event, Customer.Registered):
            return {name: getattr(event, name) for name in PROFILE_FIELDS}
        customer: Customer = self.app.repository.get(event.originator_id, version=event.originator_version)
        return {name: getattr(customer, name) for name in PROFILE_FIELDS}


def relay_worker(settings: Settings, app: JourneyApplication, state: KafkaTables) -> tuple[Supervised, Callable[[], None]]:
    """Wire ``journey relay`` (connects nothing yet): each time it (re)connects it creates the
    events and customers topics if missing (the events topic keeping every message, the customers
    topic compacted). Returns the
    supervised worker and the function that closes its producer."""
    options = kafka_options(settings)
    topics = Topics(settings.kafka_events_topic, settings.kafka_customers_topic, settings.kafka_contacts_topic)
    relay: list[Relay] = []

    def round() -> bool:  # noqa: A001 -- the worker's round
        if not relay:
            ensure_topics(options, {topics.events: settings.kafka_partitions}, settings.kafka_replication_factor,
                          KEEP_ALL)
            ensure_topics(options, {topics.customers: settings.kafka_partitions}, settings.kafka_replication_factor,
                          COMPACTED)
            ensure_topics(options, {topics.contacts: settings.kafka_partitions}, settings.kafka_replication_factor,
                          KEEP_ALL)
            relay.append(Relay(app, state, StreamProducer(options), topics, batch_size=settings.kafka_relay_batch_size,
                               send_timeout=settings.write_timeout))
        return relay[0].round() > 0

    def close() -> None:
        while relay:
            relay.pop().producer.close()

    beat = Heartbeat(settings.heartbeat_file).beat
    return Supervised("relaying the stream", round, reset=close, beat=beat,
                      idle_seconds=settings.kafka_relay_poll_seconds), close
