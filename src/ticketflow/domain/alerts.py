"""Alerts: rules over sliding windows of the store's figures, and the state each rule is in.

A rule breaches when its metric, measured over the last ``window_s``, is above its ``threshold``. Its state
moves in one direction at a time, and every move is an :class:`AlertEvent` that the notifiers send:

- ``ok`` → ``firing`` (event ``fired``, the firing's ``seq`` goes up by one) when the rule breaches, unless
  it resolved less than ``cooldown_s`` ago: then it waits, ``cooling``, and fires once the cool-down is over
  if it still breaches (a flapping metric pages once per cool-down, not once per evaluation);
- ``firing`` → ``ok`` (event ``resolved``, same ``seq``) when the metric is measured at or below the
  threshold.

A metric with too few samples in its window (``min_samples``) is not measured: the state stays as it is,
since a quiet hour neither proves nor disproves a problem. :func:`advance` is pure; the store applies its
result with a compare-and-set, so two evaluators racing produce one event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal


class Metric(StrEnum):
    """What a rule measures (units in the value's name)."""

    COST_PER_TICKET = "cost_per_ticket"
    """Ledger dollars (projected ones included) per ticket finished in the window."""
    ESCALATION_RATE = "escalation_rate"
    """Share of the window's finished tickets that went to a person (not ``sent``), 0 to 1."""
    BUDGET_SPENT = "budget_spent"
    """Today's charged spend over ``[anthropic] daily_budget_usd``, 0 to 1 (and beyond); no window."""
    CHECK_FAILURE_RATE = "check_failure_rate"
    """Share of the window's validated tickets with a failed check (``check``: that one; else any)."""
    MODEL_ERROR_RATE = "model_error_rate"
    """Share of the window's model attempts (the attempt journal) that failed."""
    MODEL_LATENCY_P95_MS = "model_latency_p95_ms"
    """95th percentile of the window's ledgered model-call latencies, milliseconds."""
    BACKLOG_DEPTH = "backlog_depth"
    """Tickets accepted and not finished, now; no window."""
    BACKLOG_AGE_S = "backlog_age_s"
    """Age of the oldest unfinished ticket, seconds; no window."""


_UNWINDOWED = {Metric.BUDGET_SPENT: "today", Metric.BACKLOG_DEPTH: "now", Metric.BACKLOG_AGE_S: "now"}

Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One ``[[alerts.rules]]`` entry."""

    name: str
    metric: Metric
    threshold: float
    window_s: float = 3600.0
    cooldown_s: float = 1800.0
    severity: Severity = "warning"
    min_samples: int = 1
    check: str | None = None
    """For ``check_failure_rate``: the one check counted (None: any check)."""

    def describe(self) -> str:
        """The rule as a person reads it: ``escalation_rate > 0.4 over 1h``."""
        scope = f"[{self.check}]" if self.check else ""
        when = _UNWINDOWED.get(self.metric, f"over {span(self.window_s)}")
        return f"{self.metric.value}{scope} > {self.threshold:g} {when}"


def span(seconds: float) -> str:
    """``3600`` → ``1h``, ``90`` → ``90s``: a window as rules write it."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True, slots=True)
class TicketFigures:
    """The tickets finished in a window: how they ended, what they cost, which checks failed."""

    finished: int = 0
    not_sent: int = 0
    cost_usd: float = 0.0
    validated: int = 0
    """Tickets whose drafts went through validation (the denominator of check failure rates)."""
    failed_any: int = 0
    failed_by_check: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelFigures:
    """The model calls of a window: attempts journaled, those that failed, ledgered latencies."""

    attempts: int = 0
    failed: int = 0
    calls: int = 0
    latency_p95_ms: float | None = None


@dataclass(frozen=True, slots=True)
class BacklogFigures:
    """Unfinished tickets now: how many, and how long the oldest has waited."""

    depth: int = 0
    oldest_age_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Reading:
    """A metric measured: its value (None: not enough samples to say) over ``samples`` data points."""

    value: float | None
    samples: int


@dataclass(frozen=True, slots=True)
class AlertState:
    """Where one rule stands; ``seq`` counts its firings (the current or last one's number)."""

    rule: str
    firing: bool = False
    seq: int = 0
    value: float | None = None
    since: datetime | None = None
    """When the current state (firing, or ok since the last resolution) began."""
    last_fired_at: datetime | None = None
    resolved_at: datetime | None = None
    evaluated_at: datetime | None = None
    cooling: bool = False
    """Breaching, but held back because it resolved less than the cool-down ago."""

    @property
    def status(self) -> str:
        """``firing``, ``cooling`` or ``ok``."""
        return "firing" if self.firing else "cooling" if self.cooling else "ok"


EventKind = Literal["fired", "resolved"]


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A rule fired or resolved: what the notifiers send, once per ``(rule, seq, kind)``."""

    rule: str
    seq: int
    kind: EventKind
    metric: str
    value: float | None
    threshold: float
    severity: str
    at: datetime
    summary: str

    @property
    def key(self) -> str:
        """The event's idempotency key, ``alert:{rule}:{seq}:{kind}`` (the notification's workflow id)."""
        return f"alert:{self.rule}:{self.seq}:{self.kind}"


def measure(
    rule: AlertRule,
    tickets: TicketFigures,
    models: ModelFigures,
    backlog: BacklogFigures,
    spent_today: float,
    daily_budget: float | None,
) -> Reading:
    """The rule's metric from the window's figures (None when the samples are fewer than ``min_samples``)."""

    def ratio(part: float, whole: int) -> Reading:
        if whole < max(1, rule.min_samples):
            return Reading(None, whole)
        return Reading(part / whole, whole)

    match rule.metric:
        case Metric.COST_PER_TICKET:
            return ratio(tickets.cost_usd, tickets.finished)
        case Metric.ESCALATION_RATE:
            return ratio(tickets.not_sent, tickets.finished)
        case Metric.CHECK_FAILURE_RATE:
            failed = tickets.failed_by_check.get(rule.check, 0) if rule.check else tickets.failed_any
            return ratio(failed, tickets.validated)
        case Metric.MODEL_ERROR_RATE:
            return ratio(models.failed, models.attempts)
        case Metric.MODEL_LATENCY_P95_MS:
            enough = models.calls >= max(1, rule.min_samples)
            return Reading(models.latency_p95_ms if enough else None, models.calls)
        case Metric.BUDGET_SPENT:
            if not daily_budget:
                return Reading(None, 0)
            return Reading(spent_today / daily_budget, 1)
        case Metric.BACKLOG_DEPTH:
            return Reading(float(backlog.depth), 1)
        case Metric.BACKLOG_AGE_S:
            return Reading(backlog.oldest_age_s, 1)


def advance(
    rule: AlertRule, state: AlertState, reading: Reading, now: datetime
) -> tuple[AlertState, AlertEvent | None]:
    """The rule's next state after ``reading`` at ``now``, and the event the move makes (None: no move)."""
    evaluated = replace(
        state, evaluated_at=now, value=reading.value if reading.value is not None else state.value
    )
    if reading.value is None:
        return evaluated, None
    breach = reading.value > rule.threshold
    if state.firing:
        if breach:
            return evaluated, None
        resolved = replace(evaluated, firing=False, since=now, resolved_at=now, cooling=False)
        return resolved, _event(rule, resolved, "resolved", now)
    if not breach:
        return replace(evaluated, cooling=False), None
    cooldown = timedelta(seconds=rule.cooldown_s)
    if state.resolved_at is not None and now - state.resolved_at < cooldown:
        return replace(evaluated, cooling=True), None
    fired = replace(evaluated, firing=True, seq=state.seq + 1, since=now, last_fired_at=now, cooling=False)
    return fired, _event(rule, fired, "fired", now)


def _event(rule: AlertRule, state: AlertState, kind: EventKind, now: datetime) -> AlertEvent:
    value = "no value" if state.value is None else f"{state.value:.4g}"
    verb = "firing" if kind == "fired" else "resolved"
    return AlertEvent(
        rule=rule.name,
        seq=state.seq,
        kind=kind,
        metric=rule.metric.value,
        value=state.value,
        threshold=rule.threshold,
        severity=rule.severity,
        at=now,
        summary=f"{rule.name} {verb}: {rule.describe()} (now {value})",
    )


DEFAULT_RULES: tuple[AlertRule, ...] = (
    AlertRule("cost-per-ticket", Metric.COST_PER_TICKET, 0.02, min_samples=10),
    AlertRule("escalation-rate", Metric.ESCALATION_RATE, 0.40, min_samples=20),
    AlertRule("daily-budget", Metric.BUDGET_SPENT, 0.80, severity="critical"),
    AlertRule("check-failures", Metric.CHECK_FAILURE_RATE, 0.25, min_samples=20),
    AlertRule(
        "model-errors", Metric.MODEL_ERROR_RATE, 0.05, window_s=900, min_samples=20, severity="critical"
    ),
    AlertRule("model-latency", Metric.MODEL_LATENCY_P95_MS, 20_000, window_s=900, min_samples=10),
    AlertRule("backlog-depth", Metric.BACKLOG_DEPTH, 500),
    AlertRule("backlog-age", Metric.BACKLOG_AGE_S, 3600, severity="critical"),
)
"""The rules used when ``ticketflow.toml`` lists none: the figures support teams watch, at the levels the
field pages at ($0.02 a ticket, 40% escalated, 80% of the daily budget)."""
