"""Per-credential rate limits: a token bucket per caller, in each API process.

Each credential may make ``rate`` requests a second on average and ``burst`` at once. The
buckets live in the process (no shared state, no query): N API processes allow up to N times
the rate in total, which ``docs/security.md`` states. The number of buckets is bounded.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

#: Most callers tracked at once; the least recently seen bucket is dropped first.
MAX_BUCKETS = 10_000


class RateLimits:
    """``take(credential)`` is None when the request may proceed, else the seconds to wait."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, credential: str, now: float | None = None) -> float | None:
        """Take one request from ``credential``'s bucket: None when it may proceed, else the
        seconds until it may (``now``: a monotonic time, for tests)."""
        if not self.enabled:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, seen = self._buckets.pop(credential, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - seen) * self.rate)
            if tokens >= 1:
                self._buckets[credential] = (tokens - 1, now)
                wait = None
            else:
                self._buckets[credential] = (tokens, now)
                wait = (1 - tokens) / self.rate
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return wait


def retry_after(wait: float) -> str:
    """Seconds for a Retry-After header: a whole number, at least 1."""
    return str(max(1, math.ceil(wait)))
