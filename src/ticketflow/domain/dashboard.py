"""The console dashboard's figures: what the store counted, per day, as plain values to chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One day of finished tickets (by the day they were received, UTC)."""

    day: date
    outcomes: dict[str, int]
    """Finished tickets by outcome (``sent``, ``review``, ``escalated``)."""
    cost_usd: float
    """What the day's tickets cost in model calls (the ledger)."""
    latency_p95_ms: float | None
    """The 95th percentile of the day's pipeline time per ticket (sum of its stages), None without tickets."""

    @property
    def finished(self) -> int:
        """Tickets finished that day, whatever the outcome."""
        return sum(self.outcomes.values())

    @property
    def automation_rate(self) -> float | None:
        """The share answered without a person (outcome ``sent``), None without tickets."""
        return self.outcomes.get("sent", 0) / self.finished if self.finished else None

    @property
    def cost_per_ticket(self) -> float | None:
        """Cost over finished tickets, None without tickets."""
        return self.cost_usd / self.finished if self.finished else None


@dataclass(frozen=True, slots=True)
class DashboardFigures:
    """The dashboard: a window of days, escalations by reason, and the review queue's depth now."""

    days: tuple[DayFigures, ...]
    escalations: dict[str, int] = field(default_factory=dict)
    """Handoffs to people in the window, by reason, most frequent first."""
    queue_depth: int = 0
    """Reviews still waiting for a person (not sent, not rejected)."""
    queue_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        """Tickets finished in the window."""
        return sum(d.finished for d in self.days)

    @property
    def automation_rate(self) -> float | None:
        """The window's share of tickets answered without a person."""
        sent = sum(d.outcomes.get("sent", 0) for d in self.days)
        return sent / self.finished if self.finished else None

    @property
    def cost_per_ticket(self) -> float | None:
        """The window's model cost over its finished tickets."""
        return sum(d.cost_usd for d in self.days) / self.finished if self.finished else None
