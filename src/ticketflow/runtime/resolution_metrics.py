"""``ticketflow_automated_answers{state}`` and ``ticketflow_ratings{rating}``: verified resolution, as gauges.

Read from the store at each scrape, over the automated answers of the last ``period`` (30 days), so every
worker reports the same figures and ``sent`` always stands beside ``resolved``: an automation rate alone
overstates what was solved.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ticketflow.ports.store import FeedbackStore

PERIOD = timedelta(days=30)


class ResolutionCollector(Collector):
    """Registered on the runtime's registry; one summary query per scrape."""

    def __init__(self, store: FeedbackStore, window: timedelta, period: timedelta = PERIOD) -> None:
        self._store = store
        self._window = window
        self._period = period

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = datetime.now(UTC)
        summary = self._store.resolution_summary(now - self._period, now, now, window=self._window)
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
