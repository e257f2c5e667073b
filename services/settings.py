"""One validated Settings object, read from JOURNEY_* environment variables."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.contact import ContactPolicy
from domain.loyalty import LoyaltyPolicy

if TYPE_CHECKING:
    from adapters.kafka_touchpoints import KafkaOptions


class Settings(BaseSettings):
    """Configuration of the journey service; every field is a JOURNEY_<NAME> variable."""

    model_config = SettingsConfigDict(env_prefix="JOURNEY_")

    database_url: str = Field(
        "sqlite:///var/journey.sqlite",
        description="sqlite:///path/file.sqlite (embedded default) or postgresql://user:pass@host:port/db",
    )
    dunning_min_interval_days: int = Field(14, ge=0, le=3650)
    max_body_bytes: int = Field(1_048_576, ge=1024, description="largest accepted request body")
    read_wait_seconds: float = Field(5.0, ge=0, description="longest wait for ?min_position")
    project_in_process: bool = Field(True, description="run the projector inside the API process")
    projector_source: Literal["database", "kafka"] = Field(
        "database", description="feed the views from the event store (default) or from the relayed Kafka topic"
    )
    projector_batch_size: int = Field(1000, ge=1, le=10_000)
    projector_poll_seconds: float = Field(0.2, gt=0, description="how often the projector looks for new events anyway")
    db_pool_size: int = Field(2, ge=1, le=100, description="PostgreSQL connections kept open per process")
    db_max_overflow: int = Field(2, ge=0, le=100, description="extra PostgreSQL connections a process may open under load")
    writer_lock_timeout: float = Field(10.0, gt=0, description="longest wait for the store's writer lock")
    write_timeout: float = Field(30.0, gt=0, description="longest wait for a write to be confirmed")
    max_group: int = Field(5000, ge=1, le=100_000, description="most touchpoints stored in one transaction")
    max_event_age_days: int = Field(
        3650, ge=1, le=36_500, description="a CloudEvent time further in the past is refused (422)"
    )
    max_clock_skew_seconds: int = Field(
        300, ge=0, le=86_400, description="a CloudEvent time further ahead of the clock is refused (422)"
    )
    max_deferral_days: int = Field(90, ge=1, le=3650, description="the longest payment deferral")
    contact_hold_dunning_level: int = Field(
        2, ge=1, le=4, description="no promotional contact while an invoice of the customer is at this dunning level "
        "or more (4: handed to collection)"
    )
    contact_hold_on_dispute: bool = Field(True, description="no promotional contact while an invoice is in dispute")
    contact_hold_on_complaint: bool = Field(True, description="no promotional contact while a complaint is open")
    loyalty_points_per_unit: int = Field(1, ge=1, le=1000, description="loyalty points per whole currency unit paid")
    loyalty_expiry_days: int = Field(365, ge=1, le=3650, description="loyalty points expire this many days after they are earned")
    campaign_birthday_window_days: int = Field(7, ge=0, le=60, description="a birthday offer still goes out this many days late")
    campaign_cross_sell_window_days: int = Field(14, ge=0, le=365, description="cross-selling after deliveries of the last N days")
    campaign_dormant_days: int = Field(180, ge=1, le=3650, description="a customer without an order for N days is won back")
    campaign_alternative_complaints: int = Field(
        2, ge=1, le=100, description="complaints in one product group before an alternative product is offered"
    )
    campaign_top_spend: Decimal = Field(
        Decimal(1000), gt=0, description="top customers spent at least this in one currency over the last 365 days"
    )
    campaign_top_event: str | None = Field(
        None, max_length=100, pattern=r"^[A-Za-z0-9._-]+$", description="the exclusive event top customers are invited to"
    )
    campaign_affinity_csv: Path | None = Field(
        None, description="the product-affinity table (product_group,kind,product); default: the example shipped"
    )
    contact_hold_after_withdrawal_days: int = Field(
        30, ge=0, le=3650, description="no promotional contact for this many days after a promotional consent is withdrawn"
    )
    ready_max_lag: int = Field(10_000, ge=0, description="most positions the views may lag while ready")
    key_cache_seconds: float = Field(
        5.0, ge=0, le=300, description="how long a process trusts an API key it looked up (and a revoked key keeps working)"
    )
    rate_limit_per_second: float = Field(
        50.0, ge=0, description="requests a second each credential may make on average, per API process (0: no limit)"
    )
    rate_limit_burst: int = Field(100, ge=1, le=100_000, description="requests a credential may make at once")
    request_body_seconds: float = Field(
        30.0, gt=0, le=3600, description="longest a client may take to send a request body (else 408)"
    )
    jwt_issuer: str | None = Field(None, description="accept OAuth2 bearer tokens (JWT) of this issuer (iss)")
    jwt_audience: str | None = Field(None, description="the audience (aud) tokens must be issued for")
    jwt_jwks_url: str | None = Field(None, description="where the issuer publishes its keys (JWKS); or jwt_public_key")
    jwt_public_key: str | None = Field(None, description="the issuer's public key (PEM), instead of jwt_jwks_url")
    jwt_role_claim: str = Field("role", description="the claim naming the role (dotted path; a list: the first known role)")
    jwt_sources_claim: str = Field("journey_sources", description="the claim listing an integrator's CloudEvent sources")
    jwt_algorithms: str = Field("RS256,ES256", description="signature algorithms accepted (asymmetric only)")
    heartbeat_file: str | None = Field(None, description="a worker records each completed round here (`journey alive`)")
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka brokers to start from, host:port[,host:port...]")
    kafka_touchpoints_topic: str = Field("journey.touchpoints", description="topic `journey ingest` consumes")
    kafka_dlq_topic: str = Field("journey.touchpoints.dlq", description="topic of touchpoints that cannot be stored")
    kafka_group: str = Field("journey-ingest", description="consumer group of the `journey ingest` workers")
    kafka_events_topic: str = Field("journey.events", description="topic `journey relay` publishes the stream to")
    kafka_customers_topic: str = Field("journey.customers", description="compacted topic of customer profiles")
    kafka_contacts_topic: str = Field("journey.contacts", description="topic of the contacts to send, for a mailing tool")
    kafka_projector_group: str = Field("journey-views", description="consumer group of the Kafka-fed projectors")
    kafka_relay_batch_size: int = Field(1000, ge=1, le=10_000, description="most events `journey relay` sends at once")
    kafka_partitions: int = Field(6, ge=1, le=1000, description="partitions of a topic the workers create")
    kafka_replication_factor: int = Field(1, ge=1, le=10, description="replicas of a topic the workers create")
    kafka_batch_size: int = Field(500, ge=1, le=10_000, description="most messages `journey ingest` stores at once")
    kafka_session_timeout_ms: int = Field(10_000, ge=1000, description="a silent group member is dropped after this")
    kafka_fetch_max_wait_ms: int = Field(
        50, ge=0, le=10_000, description="longest a consumer's fetch waits at the broker for data to arrive"
    )
    kafka_relay_poll_seconds: float = Field(
        0.05, gt=0, le=60, description="how often an idle relay looks for new events (PostgreSQL also wakes it)"
    )
    kafka_heartbeat_interval_ms: int = Field(3000, ge=100, description="group heartbeat; well under the session timeout")
    clock: datetime | None = Field(
        None,
        description="FOR DEMOS AND TESTS ONLY, never in production: run on this fixed business "
        "time; start-up logs a warning and every answer carries X-Journey-Clock",
    )
    master_key: SecretStr | None = Field(
        None,
        description="base64 of 32 random bytes: wraps the customers' data keys (personal data at rest); "
        "required with PostgreSQL; without it the embedded SQLite store uses a development key and warns",
    )
    data_key_cache_seconds: float = Field(
        5.0, ge=0, le=300,
        description="how long a process keeps a customer's data key: after an erasure, other processes "
        "may still read the person's data for this long",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return url

    @model_validator(mode="after")
    def _heartbeat_within_session(self) -> Settings:
        if self.kafka_heartbeat_interval_ms >= self.kafka_session_timeout_ms:
            raise ValueError("kafka_heartbeat_interval_ms must be below kafka_session_timeout_ms")
        return self

    @model_validator(mode="after")
    def _tokens_complete(self) -> Settings:
        if self.jwt_issuer is not None:
            if not self.jwt_audience:
                raise ValueError("jwt_audience is required with jwt_issuer")
            if (self.jwt_jwks_url is None) == (self.jwt_public_key is None):
                raise ValueError("set exactly one of jwt_jwks_url and jwt_public_key with jwt_issuer")
        return self

    @model_validator(mode="after")
    def _master_key_where_needed(self) -> Settings:
        if self.master_key is None:
            if not self.database_url.startswith("sqlite:///"):
                raise ValueError("master_key (JOURNEY_MASTER_KEY) is required with PostgreSQL")
            return self
        from adapters.personal_cipher import MasterKeyError, parse_master_key  # noqa: PLC0415

        try:
            parse_master_key(self.master_key.get_secret_value())
        except MasterKeyError as error:
            raise ValueError(str(error)) from None
        return self

    @field_validator("clock")
    @classmethod
    def _aware(cls, at: datetime | None) -> datetime | None:
        if at is not None and at.tzinfo is None:
            raise ValueError("needs a timezone, e.g. 2026-03-10T09:00:00Z")
        return at


def contact_policy(settings: Settings) -> ContactPolicy:
    """The departments' holds on promotional contacts (the contact rule's policy)."""
    return ContactPolicy(
        dunning_level=settings.contact_hold_dunning_level, on_dispute=settings.contact_hold_on_dispute,
        on_complaint=settings.contact_hold_on_complaint,
        after_withdrawal=timedelta(days=settings.contact_hold_after_withdrawal_days),
    )


def loyalty_policy(settings: Settings) -> LoyaltyPolicy:
    return LoyaltyPolicy(settings.loyalty_points_per_unit, settings.loyalty_expiry_days)


def kafka_options(settings: Settings) -> KafkaOptions:
    """The broker address, group timeouts and fetch wait every Kafka worker uses."""
    from adapters.kafka_touchpoints import KafkaOptions  # the Kafka client only where Kafka is used

    return KafkaOptions(
        settings.kafka_bootstrap,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
