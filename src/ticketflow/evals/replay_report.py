"""A replay's comparison: both arms side by side, the paired differences, and the tickets that changed.

::

    comparison = compare(run, resamples=2000, seed=0)      # then replay_render writes it

Rates are shares of all replayed tickets (a check that did not run on a ticket did not fail there); tokens
and dollars are means per ticket. Every difference is arm B minus arm A.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ticketflow.evals.replay import ArmResult, Replayed, ReplayRun
from ticketflow.evals.replay_stats import LEVEL, RESAMPLES, PairedFigure, paired_mean, paired_rate

OUTCOMES = ("sent", "review", "escalated", "declined")
ROUTES = ("rule", "auto", "escalate", "decline")
OUTCOME_LABELS = {
    "sent": "automated (sent)",
    "review": "to review",
    "escalated": "escalated",
    "declined": "declined",
}


@dataclass(frozen=True, slots=True)
class ArmSetup:
    """How an arm was configured, as the report states it."""

    name: str
    """``A`` or ``B``."""
    variants: tuple[str, ...]
    """The ``KEY=VALUE`` applied (none for A)."""
    provider: str
    model: str
    workspace: str


@dataclass(frozen=True, slots=True)
class Matrix:
    """Counts of tickets by arm A's value (rows) and arm B's (columns)."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    @property
    def changed(self) -> int:
        """Tickets off the diagonal."""
        return sum(c for i, row in enumerate(self.counts) for j, c in enumerate(row) if i != j)


@dataclass(frozen=True, slots=True)
class Changed:
    """One ticket whose route, outcome or a check's verdict differs between the arms."""

    ticket_id: str
    received_at: datetime | None
    changes: tuple[str, ...]
    a: ArmResult
    b: ArmResult
    stored_outcome: str | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything a replay report shows."""

    since: datetime
    until: datetime
    generated_at: datetime
    matched: int
    """Finished tickets in ``[since, until)``; ``n`` of them were replayed."""
    n: int
    sample: str
    arms: tuple[ArmSetup, ArmSetup]
    resamples: int
    seed: int
    level: float
    figures: tuple[PairedFigure, ...]
    route_matrix: Matrix
    outcome_matrix: Matrix
    changed: tuple[Changed, ...]
    totals: tuple[dict[str, float], dict[str, float]]
    """Per arm: ``cost_usd`` and ``input_tokens``/``output_tokens`` summed over the replayed tickets."""
    stored_agreement: int
    """Tickets whose arm-A outcome is the outcome production recorded (the workspace's drift, when low)."""
    per_ticket: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(default_factory=dict)
    """``cost_usd``, ``input_tokens`` and ``output_tokens`` of every ticket, arm A's then arm B's (plots)."""
    notes: tuple[str, ...] = field(default=())

    def group(self, name: str) -> list[PairedFigure]:
        """The figures of one table (``outcomes``, ``routes``, ``checks``, ``usage``)."""
        return [f for f in self.figures if f.group == name]


def _ordered(seen: Counter[str], known: Sequence[str]) -> tuple[str, ...]:
    return (*[k for k in known if k in seen], *sorted(k for k in seen if k not in known))


def _matrix(run: ReplayRun, value: Callable[[ArmResult], str], known: Sequence[str]) -> Matrix:
    seen = Counter(value(t.a) for t in run.tickets) + Counter(value(t.b) for t in run.tickets)
    labels = _ordered(seen, known)
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for t in run.tickets:
        counts[index[value(t.a)]][index[value(t.b)]] += 1
    return Matrix(labels, tuple(tuple(row) for row in counts))


def _checks(run: ReplayRun) -> list[str]:
    names: dict[str, None] = {}
    for t in run.tickets:
        for name, _ in (*t.a.checks, *t.b.checks):
            names.setdefault(name, None)
    return list(names)


def _is(what: str, value: str) -> Callable[[ArmResult], bool]:
    return lambda r: bool(getattr(r, what) == value)


def _failed(check: str) -> Callable[[ArmResult], bool]:
    return lambda r: check in r.failed_checks


def compare(
    run: ReplayRun,
    *,
    since: datetime,
    until: datetime,
    generated_at: datetime,
    arms: tuple[ArmSetup, ArmSetup],
    matched: int | None = None,
    sample: str = "all",
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = LEVEL,
) -> Comparison:
    """Both arms' figures, the paired differences with intervals, the change matrices, changed tickets."""
    tickets = run.tickets
    if not tickets:
        raise ValueError("nothing to compare: no ticket was replayed")
    opts: dict[str, Any] = {"resamples": resamples, "seed": seed, "level": level}

    def rate(label: str, group: str, yes: Callable[[ArmResult], bool]) -> PairedFigure:
        return paired_rate(
            label, [yes(t.a) for t in tickets], [yes(t.b) for t in tickets], group=group, **opts
        )

    def mean(label: str, unit: str, value: Callable[[ArmResult], float]) -> PairedFigure:
        a, b = [value(t.a) for t in tickets], [value(t.b) for t in tickets]
        return paired_mean(label, unit, a, b, group="usage", **opts)

    outcomes = _ordered(Counter(o for t in tickets for o in (t.a.outcome, t.b.outcome)), OUTCOMES)
    routes = _ordered(Counter(r for t in tickets for r in (t.a.route, t.b.route)), ROUTES)
    figures = [
        *(rate(OUTCOME_LABELS.get(o, o), "outcomes", _is("outcome", o)) for o in outcomes),
        rate("drafted by a model", "outcomes", lambda r: r.model_calls > 0),
        *(rate(f"route {k}", "routes", _is("route", k)) for k in routes),
        *(rate(f"{c} failed", "checks", _failed(c)) for c in _checks(run)),
        mean("input tokens per ticket", "tokens", lambda r: r.input_tokens),
        mean("output tokens per ticket", "tokens", lambda r: r.output_tokens),
        mean("cost per ticket", "usd", lambda r: r.cost_usd),
    ]

    def totals(pick: Callable[[Replayed], ArmResult]) -> dict[str, float]:
        arm = [pick(t) for t in tickets]
        return {
            "cost_usd": round(sum(r.cost_usd for r in arm), 6),
            "input_tokens": float(sum(r.input_tokens for r in arm)),
            "output_tokens": float(sum(r.output_tokens for r in arm)),
        }

    changed = tuple(
        Changed(t.ticket_id, t.stored.ticket.message.received_at, t.changes(), t.a, t.b, t.stored.outcome)
        for t in run.changed()
    )
    notes = [run.stopped] if run.stopped else []
    errors = sum(1 for t in tickets for r in (t.a, t.b) if r.outcome == "error")
    if errors:
        notes.append(f"{errors} arm runs raised an error (outcome 'error'); see the changed tickets")
    return Comparison(
        since=since,
        until=until,
        generated_at=generated_at,
        matched=matched if matched is not None else len(tickets),
        n=len(tickets),
        sample=sample,
        arms=arms,
        resamples=resamples,
        seed=seed,
        level=level,
        figures=tuple(figures),
        route_matrix=_matrix(run, lambda r: r.route, ROUTES),
        outcome_matrix=_matrix(run, lambda r: r.outcome, OUTCOMES),
        changed=changed,
        totals=(totals(lambda t: t.a), totals(lambda t: t.b)),
        stored_agreement=sum(1 for t in tickets if t.a.outcome == t.stored.outcome),
        per_ticket={
            name: (
                tuple(float(getattr(t.a, name)) for t in tickets),
                tuple(float(getattr(t.b, name)) for t in tickets),
            )
            for name in ("cost_usd", "input_tokens", "output_tokens")
        },
        notes=tuple(notes),
    )
