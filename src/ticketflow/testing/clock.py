"""A clock the test moves by hand, for code that takes ``clock: Callable[[], float]`` (caches, TTLs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ManualClock:
    """Returns ``now`` (seconds) when called; a test advances time with ``clock.now += seconds``, so TTLs
    expire without sleeping."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now
