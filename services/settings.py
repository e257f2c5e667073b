"""One validated Settings object, read from JOURNEY_* environment variables."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    projector_batch_size: int = Field(1000, ge=1, le=10_000)
    projector_poll_seconds: float = Field(0.2, gt=0, description="how often the projector looks for new events anyway")
    ready_max_lag: int = Field(10_000, ge=0, description="most positions the views may lag while ready")
    clock: datetime | None = Field(
        None, description="run on this fixed business time (demos, replaying a past decision)"
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return url

    @field_validator("clock")
    @classmethod
    def _aware(cls, at: datetime | None) -> datetime | None:
        if at is not None and at.tzinfo is None:
            raise ValueError("needs a timezone, e.g. 2026-03-10T09:00:00Z")
        return at


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
