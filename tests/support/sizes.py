"""How large a campaign runs: counts from the environment (the long forms in `make test-faults`
set them), the small defaults otherwise."""

from __future__ import annotations

import os


def env_count(name: str, default: int) -> int:
    """A positive count from the environment variable ``name``, else ``default``."""
    value = int(os.environ.get(name) or default)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value
