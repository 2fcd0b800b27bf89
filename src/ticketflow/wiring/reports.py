"""The stores reports read, opened without assembling a whole engine (a report needs no models).

Verified resolution (whether an answered customer stayed answered) is measured by the feedback loop, when the
store offers it as ``resolution_summary(since, until, now)``; :func:`resolution_source` adapts that role for
the report, and the report says "not measured" while the store has none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketflow.domain.reports import ResolutionFigures
from ticketflow.ports.reports import ReportSource, ReviewGrades
from ticketflow.settings import Settings
from ticketflow.storage.grades import SqlGrades
from ticketflow.storage.report_facts import SqlReportSource
from ticketflow.storage.repository import SqlStore

ResolutionSource = Callable[[datetime, datetime, datetime], ResolutionFigures | None]
"""``(since, until, now)`` to the period's verified-resolution figures, or None when nothing is measured."""


@dataclass(frozen=True, slots=True)
class ReportStores:
    """What a report reads: the tickets' facts, the review's grades, and verified resolution if measured."""

    facts: ReportSource
    grades: ReviewGrades
    resolution: ResolutionSource | None


def _field(summary: Any, *names: str) -> Any:
    for name in names:
        value = summary.get(name) if isinstance(summary, Mapping) else getattr(summary, name, None)
        if value is not None:
            return value
    return None


def figures_from_summary(summary: Any) -> ResolutionFigures | None:
    """The feedback store's summary as the report's figures: ``ResolutionSummary``'s ``resolved`` of the
    answers decided (``sent - pending``), or a mapping's ``verified`` of ``eligible``; None without counts."""
    if summary is None:
        return None
    sent, pending, resolved = (_field(summary, name) for name in ("sent", "pending", "resolved"))
    if sent is not None and pending is not None and resolved is not None:
        return ResolutionFigures(verified=int(resolved), eligible=int(sent) - int(pending))
    verified = _field(summary, "verified", "verified_resolved")
    eligible = _field(summary, "eligible", "answered", "total")
    if verified is None or eligible is None:
        return None
    return ResolutionFigures(verified=int(verified), eligible=int(eligible))


def resolution_source(store: object) -> ResolutionSource | None:
    """The store's ``resolution_summary`` role adapted for reports, or None when the store has none."""
    summary = getattr(store, "resolution_summary", None)
    if summary is None:
        feedback = getattr(store, "feedback", None)
        summary = getattr(feedback, "resolution_summary", None)
    if not callable(summary):
        return None
    call = summary
    return lambda since, until, now: figures_from_summary(call(since, until, now))


def review_grades(store: SqlStore) -> ReviewGrades:
    """The monthly review's grades on ``store``'s database (the console stores grades through this)."""
    return SqlGrades(store.engine)


def stores_of(store: SqlStore) -> ReportStores:
    """What a report reads, on an open store (an engine's, or the console's)."""
    return ReportStores(SqlReportSource(store.engine), review_grades(store), resolution_source(store))


@contextmanager
def report_stores(settings: Settings) -> Iterator[ReportStores]:
    """The workspace database's read model and grades (migrating the schema first), closed on exit."""
    store = SqlStore.open(settings.resolved_database_url)
    try:
        yield stores_of(store)
    finally:
        store.close()
