"""The verified-resolution gauges read the store at most once per TTL, however often they are scraped."""

from __future__ import annotations

from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest

from ticketflow.domain.resolution import ResolutionSummary
from ticketflow.runtime.resolution_metrics import ResolutionCollector


class CountingStore:
    """A feedback store whose summary changes with every query, so a cached answer is visible."""

    def __init__(self) -> None:
        self.queries = 0

    def resolution_summary(
        self, since: datetime, until: datetime, now: datetime, *, window: timedelta = timedelta(hours=72)
    ) -> ResolutionSummary:
        self.queries += 1
        return ResolutionSummary(sent=10 * self.queries, resolved=self.queries)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _scrape(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def test_scrapes_within_the_ttl_share_one_query_and_a_later_scrape_reads_again() -> None:
    store, clock = CountingStore(), Clock()
    registry = CollectorRegistry()
    registry.register(ResolutionCollector(store, timedelta(hours=72), ttl_s=60.0, clock=clock))  # type: ignore[arg-type]
    queries_at_registration = store.queries  # the registry may collect once to learn the metric names

    first = _scrape(registry)
    clock.now += 59.0
    second = _scrape(registry)
    assert store.queries == max(queries_at_registration, 1)
    assert first == second

    clock.now += 1.0
    third = _scrape(registry)
    assert store.queries == max(queries_at_registration, 1) + 1
    assert 'ticketflow_automated_answers{state="sent"} ' + f"{10.0 * store.queries}" in third
    assert third != second


def test_a_ttl_of_zero_reads_the_store_at_every_scrape() -> None:
    store, clock = CountingStore(), Clock()
    registry = CollectorRegistry()
    registry.register(ResolutionCollector(store, timedelta(hours=72), ttl_s=0.0, clock=clock))  # type: ignore[arg-type]
    before = store.queries
    _scrape(registry)
    _scrape(registry)
    assert store.queries == before + 2
