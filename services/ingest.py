"""``journey ingest``: touchpoints integrators publish to Kafka, stored in batches.

One round: poll a batch, read each message with the same validation as ``POST /events``,
store the valid ones through the journey service in one call (idempotent on ``source`` and
``id``), send every message that cannot be stored to the dead-letter topic, and only once both
are durable commit the batch's offsets. A crash anywhere before the commit re-reads the batch:
the store answers its touchpoints as duplicates and stores nothing twice.

The worker is supervised like the projector: an error is logged, the worker leaves the group,
pauses (doubling from 0.1 s up to 5 s, reset by a success) and rejoins at the committed offsets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from adapters.cloudevents import CloudEventError, Submission, check_times
from adapters.kafka_binding import KafkaRecord, read_record
from adapters.kafka_touchpoints import DeadLetterProducer, TouchpointConsumer, ensure_topics
from services.clock import Clock
from services.heartbeat import Heartbeat
from services.journey import ConflictError, JourneyService, RejectedError
from services.settings import Settings, kafka_options
from services.supervisor import Supervised, WorkerState

log = logging.getLogger(__name__)

#: A message that cannot be stored: the record, the error's code and its detail.
DeadLetter = tuple[KafkaRecord, str, str]


@dataclass(frozen=True)
class IngestRound:
    """What one round did: messages read, touchpoints newly stored, touchpoints found stored
    already (a redelivery), messages sent to the dead-letter topic."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0

    def __add__(self, other: IngestRound) -> IngestRound:
        return IngestRound(self.read + other.read, self.stored + other.stored,
                     self.duplicates + other.duplicates, self.dead_lettered + other.dead_lettered)


class TouchpointIngest:
    """Stores batches of Kafka messages as touchpoints; what cannot be stored is dead-lettered."""

    def __init__(
        self,
        service: JourneyService,
        clock: Clock,
        dead_letters: DeadLetterProducer,
        *,
        max_age: timedelta,
        max_skew: timedelta,
        send_timeout: float = 30.0,
    ) -> None:
        self.service = service
        self.clock = clock
        self.dead_letters = dead_letters
        self.max_age = max_age
        self.max_skew = max_skew
        self.send_timeout = send_timeout

    def read(self, records: Sequence[KafkaRecord]) -> tuple[list[tuple[KafkaRecord, Submission]], list[DeadLetter]]:
        """Split messages into valid touchpoints and dead letters (bad bytes, not a CloudEvent,
        unknown type, invalid data, a time out of range)."""
        valid: list[tuple[KafkaRecord, Submission]] = []
        letters: list[DeadLetter] = []
        now = self.clock.now()
        for record in records:
            try:
                submission = read_record(record)
                check_times([submission], now, max_age=self.max_age, max_skew=self.max_skew)
            except CloudEventError as error:
                letters.append((record, error.code, error.detail))
                continue
            valid.append((record, submission))
        return valid, letters

    def store(self, records: Sequence[KafkaRecord]) -> IngestRound:
        """Make ``records`` durable: valid touchpoints stored, the rest dead-lettered. The
        service refuses a whole call for one touchpoint that breaks a rule (or reuses an id with
        other content), naming it: that one is dead-lettered and the rest stored without it."""
        valid, letters = self.read(records)
        accepted = []
        while valid:
            try:
                accepted = self.service.ingest([s for _, s in valid])
                break
            except RejectedError as error:
                record, _ = valid.pop(error.index)
                letters.append((record, error.error.code, str(error.error)))
            except ConflictError as error:
                if error.index is None:
                    raise
                record, _ = valid.pop(error.index)
                letters.append((record, error.code, str(error)))
        if letters:
            self.dead_letters.send(sorted(letters, key=lambda d: (d[0].partition, d[0].offset)), self.send_timeout)
        duplicates = sum(a.duplicate for a in accepted)
        return IngestRound(len(records), len(accepted) - duplicates, duplicates, len(letters))

    def round(self, consumer: TouchpointConsumer, timeout: float) -> IngestRound:
        """Poll one batch, make it durable, then commit its offsets."""
        records = consumer.poll(timeout)
        if not records:
            return IngestRound()
        batch = self.store(records)
        consumer.commit(records)
        return batch


@dataclass(frozen=True)
class IngestState(WorkerState):
    """How the worker is doing (``WorkerState``) and what it has done since it started."""

    totals: IngestRound = IngestRound()


class IngestWorker:
    """Runs ``TouchpointIngest`` rounds until stopped, supervised (``services.supervisor``): an
    error closes the consumer (nothing committed), the worker pauses, and a new consumer resumes
    at the committed offsets."""

    def __init__(  # noqa: PLR0913
        self,
        ingest: TouchpointIngest,
        open_consumer: Callable[[], TouchpointConsumer],
        *,
        poll_seconds: float = 1.0,
        min_pause: float = 0.1,
        max_pause: float = 5.0,
        beat: Callable[[], None] = lambda: None,
    ) -> None:
        self.ingest = ingest
        self.open_consumer = open_consumer
        self.poll_seconds = poll_seconds
        self._consumer: TouchpointConsumer | None = None
        self._totals = IngestRound()
        self.supervised = Supervised(
            "ingesting", self._round, reset=self._drop, beat=beat, idle_seconds=0,
            min_pause=min_pause, max_pause=max_pause,
        )

    @property
    def state(self) -> IngestState:
        s = self.supervised.state
        return IngestState(s.status, s.last_error, s.failures, s.last_success, self._totals)

    def run(self, stop: threading.Event) -> None:
        """Ingest until ``stop`` is set; never returns early on an error."""
        self.supervised.run(stop)

    def _round(self) -> bool:
        if self._consumer is None:
            self._consumer = self.open_consumer()
        batch = self.ingest.round(self._consumer, self.poll_seconds)
        if batch.read:
            log.info("ingested %d messages: %d stored, %d duplicates, %d dead-lettered",
                     batch.read, batch.stored, batch.duplicates, batch.dead_lettered)
            self._totals += batch
        return bool(batch.read)

    def _drop(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            consumer.close()


def ingest_worker(settings: Settings, service: JourneyService, clock: Clock) -> tuple[IngestWorker, DeadLetterProducer]:
    """Wire the worker of ``journey ingest`` (connects nothing yet): each time it (re)connects it
    creates the touchpoint and dead-letter topics if missing and joins the consumer group."""
    options = kafka_options(settings)
    dead_letters = DeadLetterProducer(options, settings.kafka_dlq_topic)

    def connect() -> TouchpointConsumer:
        partitions = settings.kafka_partitions
        ensure_topics(
            options, {settings.kafka_touchpoints_topic: partitions, settings.kafka_dlq_topic: partitions},
            settings.kafka_replication_factor,
        )
        return TouchpointConsumer(
            options, settings.kafka_touchpoints_topic, settings.kafka_group, max_records=settings.kafka_batch_size
        )

    ingest = TouchpointIngest(
        service, clock, dead_letters,
        max_age=timedelta(days=settings.max_event_age_days),
        max_skew=timedelta(seconds=settings.max_clock_skew_seconds),
        send_timeout=settings.write_timeout,
    )
    return IngestWorker(ingest, connect, beat=Heartbeat(settings.heartbeat_file).beat), dead_letters
