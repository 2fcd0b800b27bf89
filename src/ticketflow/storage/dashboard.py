"""``SqlDashboard``: the console dashboard's figures, counted from tickets, the ledger and the reviews.

Rows of the window are read and grouped here in Python rather than with date functions, which differ
between SQLite and PostgreSQL; the window is bounded (at most ``MAX_DAYS``), so this stays cheap.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ticketflow.domain.dashboard import DashboardFigures, DayFigures
from ticketflow.storage.tables import ledger, reviews, tickets
from ticketflow.storage.times import aware, utcnow

MAX_DAYS = 90
WAITING = ("open", "claimed")
"""Review statuses that still wait for a person (``sent`` and ``rejected`` are closed)."""


def p95(values: list[float]) -> float | None:
    """The 95th percentile by the nearest-rank method, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class SqlDashboard:
    """Counts what the dashboard charts."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def figures(self, days: int = 14, now: datetime | None = None) -> DashboardFigures:
        """The last ``days`` days (1 to ``MAX_DAYS``, today included) and the queue as it stands."""
        days = max(1, min(MAX_DAYS, days))
        today = (now or utcnow()).date()
        since = datetime.combine(today - timedelta(days=days - 1), datetime.min.time()).replace(
            tzinfo=(now or utcnow()).tzinfo
        )
        done = sa.select(tickets.c.id, tickets.c.received_at, tickets.c.outcome, tickets.c.timings).where(
            tickets.c.status == "done", tickets.c.received_at >= since
        )
        costs = (
            sa.select(ledger.c.ticket_id, sa.func.sum(ledger.c.cost_usd))
            .join(tickets, tickets.c.id == ledger.c.ticket_id)
            .where(tickets.c.received_at >= since)
            .group_by(ledger.c.ticket_id)
        )
        handed = sa.select(reviews.c.reason, sa.func.count()).where(reviews.c.created_at >= since)
        waiting = sa.select(reviews.c.reason, sa.func.count()).where(reviews.c.status.in_(WAITING))
        with self._engine.connect() as conn:
            rows = conn.execute(done).all()
            cost_of = {r[0]: float(r[1] or 0.0) for r in conn.execute(costs)}
            escalations = Counter({r[0]: int(r[1]) for r in conn.execute(handed.group_by(reviews.c.reason))})
            queue = Counter({r[0]: int(r[1]) for r in conn.execute(waiting.group_by(reviews.c.reason))})
        outcomes: dict[date, Counter[str]] = defaultdict(Counter)
        cost: dict[date, float] = defaultdict(float)
        latency: dict[date, list[float]] = defaultdict(list)
        for ticket_id, received, outcome, timings in rows:
            day = aware(received).date()
            outcomes[day][outcome or "unknown"] += 1
            cost[day] += cost_of.get(ticket_id, 0.0)
            latency[day].append(sum(float(v) for v in (timings or {}).values()))
        window = tuple(
            DayFigures(d, dict(outcomes[d]), round(cost[d], 6), p95(latency[d]))
            for d in (today - timedelta(days=n) for n in range(days - 1, -1, -1))
        )
        return DashboardFigures(
            window, dict(escalations.most_common()), sum(queue.values()), dict(queue.most_common())
        )
