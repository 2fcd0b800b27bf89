"""``ticketflow_automated_answers{state}`` and ``ticketflow_ratings{rating}``: verified resolution, as gauges.

Read from the store over the automated answers of the last ``period`` (30 days), so every worker reports
the same figures and ``sent`` always stands beside ``resolved``: an automation rate alone overstates what
was solved. The summary scans a month of answers, so it is kept for ``ttl_s`` (60 s) between scrapes:
Prometheus scraping every few seconds, or several scrapers, ask the database once a minute at most.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ticketflow.domain.resolution import ResolutionSummary
from ticketflow.ports.store import FeedbackStore

PERIOD = timedelta(days=30)
TTL_S = 60.0


class ResolutionCollector(Collector):
    """Registered on the runtime's registry; at most one summary query per ``ttl_s``."""

    def __init__(
        self,
        store: FeedbackStore,
        window: timedelta,
        period: timedelta = PERIOD,
        *,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._window = window
        self._period = period
        self._ttl_s = ttl_s
        self._clock = clock
        self._kept: tuple[float, ResolutionSummary] | None = None
        self._lock = threading.Lock()

    def _summary(self) -> ResolutionSummary:
        with self._lock:
            at = self._clock()
            if self._kept is None or at - self._kept[0] >= self._ttl_s:
                now = datetime.now(UTC)
                summary = self._store.resolution_summary(now - self._period, now, now, window=self._window)
                self._kept = (at, summary)
            return self._kept[1]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        summary = self._summary()
        days = self._period / timedelta(days=1)
        answers = GaugeMetricFamily(
            "ticketflow_automated_answers",
            f"Automated answers of the last {days:g} days: sent, and verified resolved / reopened / pending",
            labels=["state"],
        )
        for state in ("sent", "resolved", "reopened", "pending"):
            answers.add_metric([state], getattr(summary, state))
        yield answers
        ratings = GaugeMetricFamily(
            "ticketflow_ratings",
            f"Customer ratings of the automated answers of the last {days:g} days",
            labels=["rating"],
        )
        for rating in ("good", "bad", "neutral"):
            ratings.add_metric([rating], getattr(summary, f"rated_{rating}"))
        yield ratings
        rate = summary.verified_rate
        verified = GaugeMetricFamily(
            "ticketflow_verified_resolution_rate",
            "Resolved ÷ decided (sent minus pending) automated answers; NaN while none is decided",
        )
        verified.add_metric([], rate if rate is not None else float("nan"))
        yield verified
