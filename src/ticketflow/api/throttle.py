"""Back-pressure: a per-caller rate limit (token bucket) and a bound on the unfinished backlog.

Both answer 429 with ``Retry-After`` *before* anything is stored, so a refused message is the sender's to
retry and nothing accepted is ever dropped. :class:`RateLimit` keeps its buckets in the process (intake's
per-key limit: no database write per message); :class:`SharedRateLimit` keeps them in the database, so
sign-ins and rating-form posts are limited across every ``serve`` process together. The backlog bound reads
the shared database, so it holds across processes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ticketflow.ports.access import Throttles


def burst_of(per_minute: float, burst: float | None) -> float:
    """A bucket's size: ``burst``, or 10 s worth of ``per_minute``; at least one request."""
    return max(1.0, per_minute / 6.0 if burst is None else burst)


class Limit(Protocol):
    """A rate limit per caller: :class:`RateLimit` in the process, :class:`SharedRateLimit` across them."""

    def wait_for(self, caller: str) -> float:
        """Take one request from ``caller``'s bucket: 0 when admitted, else the seconds until one is."""
        ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """``per_minute`` requests per caller, in bursts of up to ``per_minute / 6`` (10 s worth) unless ``burst``
    says otherwise (the console's sign-in throttle: a few attempts, then one a minute)."""

    def __init__(
        self, per_minute: float, clock: Callable[[], float] = time.monotonic, *, burst: float | None = None
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst_of(per_minute, burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def wait_for(self, caller: str) -> float:
        """Take one request from ``caller``'s bucket: 0 when admitted, else the seconds until one is."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is None:
                bucket = self._buckets[caller] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate


class SharedRateLimit:
    """:class:`RateLimit`'s buckets in the database (``throttles``), named ``name``: the limit holds across
    processes, so running more ``serve`` processes does not multiply a password guesser's attempts."""

    def __init__(
        self, throttles: Throttles, name: str, per_minute: float, *, burst: float | None = None
    ) -> None:
        self.name = name
        self.rate = per_minute / 60.0
        self.burst = burst_of(per_minute, burst)
        self._throttles = throttles

    def wait_for(self, caller: str) -> float:
        """Take one request from ``caller``'s bucket: 0 when admitted, else the seconds until one is."""
        return self._throttles.take(self.name, caller, self.rate, self.burst)


class Backlog:
    """Whether the unfinished backlog is full; ``count`` (a database query) is read at most once a second."""

    def __init__(
        self, limit: int, count: Callable[[], int], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self._count = count
        self._clock = clock
        self._seen = (0, -math.inf)
        self._lock = threading.Lock()

    def full(self) -> bool:
        """True when ``limit`` tickets or more are accepted and not finished."""
        now = self._clock()
        with self._lock:
            depth, at = self._seen
            if now - at >= 1.0:
                depth = self._count()
                self._seen = (depth, now)
        return depth >= self.limit


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
