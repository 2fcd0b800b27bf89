"""The operations report: a period's tickets against the previous period's, section by section.

::

    report = build_report(stores, period_ending("week", until))   # a Report; report_render draws it

Every figure comes from the store's read model (``ReportSource``) and the review's grades; a rate over no
tickets is None ("no data"), never zero, and a trend against an empty previous period is "new".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from ticketflow.domain.reports import ResolutionFigures, StoredGrade, TicketFacts
from ticketflow.evals.periods import Period, Trend, previous, ratio
from ticketflow.evals.review import RateEstimate, answer_right, escalation_correct
from ticketflow.pipeline import STAGES
from ticketflow.wiring.reports import ReportStores

HANDED_OFF = frozenset({"review", "escalated"})
Facts = Sequence[TicketFacts]
Daily = Callable[[list[TicketFacts]], float | None]


@dataclass(frozen=True, slots=True)
class Row:
    """One figure of a section, this period and the previous one."""

    label: str
    unit: str
    """``count``, ``rate`` (a fraction), ``usd``, ``tokens``, ``ms`` or ``calls``."""
    trend: Trend
    note: str | None = None
    estimates: tuple[RateEstimate, RateEstimate] | None = None
    """For graded rates: the Wilson interval and n, this period and the previous one."""


@dataclass(frozen=True, slots=True)
class Series:
    """A figure per day of the period, this period and the previous one, for a section's line plot."""

    label: str
    unit: str
    current: tuple[float | None, ...]
    previous: tuple[float | None, ...]
    days: tuple[str, ...] = field(default=())
    """The current period's days (``Mon 23``), for the x axis; the previous period is drawn day for day."""


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of figures, and what its plot draws: ``bars`` (row labels) and ``daily`` (lines)."""

    id: str
    title: str
    rows: tuple[Row, ...]
    daily: Series | None = None
    bars: tuple[str, ...] = field(default=())
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A whole report: its period, the previous one, and the sections in reading order."""

    period: Period
    previous: Period
    generated_at: datetime
    tickets: tuple[int, int]
    """Finished tickets received in the period and in the previous one."""
    sections: tuple[Section, ...]


def _days(period: Period, facts: Facts) -> list[list[TicketFacts]]:
    days: list[list[TicketFacts]] = [[] for _ in range(max(period.days, 1))]
    for fact in facts:
        index = (fact.received_at - period.since) // timedelta(days=1)
        if 0 <= index < len(days):
            days[index].append(fact)
    return days


@dataclass(frozen=True, slots=True)
class _Periods:
    now: Period
    before: Period
    cur: Facts
    prev: Facts

    def series(self, label: str, unit: str, value: Daily) -> Series:
        return Series(
            label,
            unit,
            tuple(value(day) for day in _days(self.now, self.cur)),
            tuple(value(day) for day in _days(self.before, self.prev)),
            tuple(f"{self.now.since + timedelta(days=d):%a %d}" for d in range(max(self.now.days, 1))),
        )

    def trend(self, value: Callable[[Facts], float | None]) -> Trend:
        return Trend(value(self.cur), value(self.prev))


def _counted(prefix: str, now: Counter[str], before: Counter[str], unit: str = "count") -> list[Row]:
    keys = sorted(set(now) | set(before), key=lambda k: (-now[k], k))
    return [Row(f"{prefix}{k}", unit, Trend(float(now[k]), float(before[k]))) for k in keys]


def _sent_rate(facts: Facts) -> float | None:
    return ratio(sum(f.outcome == "sent" for f in facts), len(facts))


def _handoff_rate(facts: Facts) -> float | None:
    return ratio(sum(f.outcome in HANDED_OFF for f in facts), len(facts))


def reason_group(reason: str | None) -> str:
    """A handoff's reason as reports group it: each validation failure under ``validation``."""
    if not reason:
        return "unstated"
    return "validation" if reason.startswith("validation:") else reason


def volumes(p: _Periods) -> Section:
    """How many tickets, by outcome and by channel."""
    rows = [Row("tickets", "count", Trend(float(len(p.cur)), float(len(p.prev))))]
    outcomes = _counted("outcome: ", Counter(f.outcome for f in p.cur), Counter(f.outcome for f in p.prev))
    channels = _counted("channel: ", Counter(f.channel for f in p.cur), Counter(f.channel for f in p.prev))
    return Section(
        "volumes",
        "Volumes by outcome and channel",
        (*rows, *outcomes, *channels),
        daily=p.series("tickets per day", "count", lambda day: float(len(day))),
        bars=tuple(r.label for r in (*outcomes, *channels)),
    )


def automation(p: _Periods, resolution: tuple[ResolutionFigures | None, ResolutionFigures | None]) -> Section:
    """The share answered without a person, and, where measured, the share that stayed answered."""

    def canned(facts: Facts) -> float | None:
        return ratio(sum(f.outcome == "sent" and f.route == "rule" for f in facts), len(facts))

    def drafted(facts: Facts) -> float | None:
        return ratio(sum(f.outcome == "sent" and f.drafted for f in facts), len(facts))

    rows = [
        Row("automation rate", "rate", p.trend(_sent_rate), note="sent without a person / tickets"),
        Row("  canned answers", "rate", p.trend(canned)),
        Row("  drafted and sent", "rate", p.trend(drafted)),
    ]
    now, before = resolution
    note = None
    if now is None and before is None:
        rows.append(Row("verified resolution", "rate", Trend(None, None), note="not measured"))
        note = "Verified resolution: not measured (the store records no customer feedback)."
    else:
        rate = Trend(
            ratio(now.verified, now.eligible) if now else None,
            ratio(before.verified, before.eligible) if before else None,
        )
        n = f"{now.verified} resolved of {now.eligible} decided answers" if now else "not measured"
        rows.append(Row("verified resolution", "rate", rate, note=n))
    return Section(
        "automation",
        "Automation and verified resolution",
        tuple(rows),
        daily=p.series("automation rate per day", "rate", _sent_rate),
        note=note,
    )


def escalation(p: _Periods) -> Section:
    """The share handed to people, by why."""
    total = Row("escalation rate", "rate", p.trend(_handoff_rate), note="handed off (review or escalated)")
    reasons = sorted(
        {reason_group(f.reason) for f in (*p.cur, *p.prev) if f.outcome in HANDED_OFF},
        key=lambda r: (-sum(reason_group(f.reason) == r for f in p.cur if f.outcome in HANDED_OFF), r),
    )

    def share(reason: str) -> Callable[[Facts], float | None]:
        return lambda facts: ratio(
            sum(f.outcome in HANDED_OFF and reason_group(f.reason) == reason for f in facts), len(facts)
        )

    rows = [Row(f"reason: {r}", "rate", p.trend(share(r))) for r in reasons]
    return Section(
        "escalation",
        "Escalation rate by reason",
        (total, *rows),
        daily=p.series("escalation rate per day", "rate", _handoff_rate),
        bars=tuple(r.label for r in rows),
        note="Each reason's rate is over all tickets, so the reasons add up to the escalation rate.",
    )


def _per(
    total: Callable[[TicketFacts], float], among: Callable[[TicketFacts], bool] = lambda f: True
) -> Callable[[Facts], float | None]:
    def value(facts: Facts) -> float | None:
        chosen = [f for f in facts if among(f)]
        return ratio(sum(total(f) for f in chosen), len(chosen))

    return value


def cost(p: _Periods) -> Section:
    """What tickets cost in dollars and tokens, over all tickets and over the drafted ones."""
    per_ticket = _per(lambda f: f.cost_usd)
    rows = (
        Row("cost per ticket", "usd", p.trend(per_ticket)),
        Row("cost per drafted ticket", "usd", p.trend(_per(lambda f: f.cost_usd, lambda f: f.drafted))),
        Row("total cost", "usd", p.trend(lambda facts: sum(f.cost_usd for f in facts))),
        Row("input tokens per ticket", "tokens", p.trend(_per(lambda f: f.input_tokens))),
        Row("output tokens per ticket", "tokens", p.trend(_per(lambda f: f.output_tokens))),
        Row("cached tokens per ticket", "tokens", p.trend(_per(lambda f: f.cached_tokens))),
        Row(
            "tokens per drafted ticket",
            "tokens",
            p.trend(_per(lambda f: f.input_tokens + f.output_tokens + f.cached_tokens, lambda f: f.drafted)),
        ),
        Row("model calls per ticket", "calls", p.trend(_per(lambda f: f.model_calls))),
    )
    spent = sum(f.cost_usd for f in p.cur)
    projected = sum(f.projected_usd for f in p.cur)
    note = None
    if spent and projected:
        note = (
            f"{projected / spent:.0%} of this period's cost is projected: what the configured Claude model "
            "would have charged for the offline drafter's prompts."
        )
    return Section(
        "cost",
        "Cost and tokens per ticket",
        rows,
        daily=p.series("cost per ticket per day", "usd", per_ticket),
        bars=tuple(r.label for r in rows[3:6]),
        note=note,
    )


def _stage_times(facts: Facts, stage: str) -> list[float]:
    return [ms for f in facts for name, ms in f.stage_ms if name == stage]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation), None for no values."""
    return float(np.percentile(values, q)) if values else None


def latency(p: _Periods) -> Section:
    """How long each stage took: the median and the 95th percentile, and the whole pipeline's."""
    stages = [s for s in STAGES if _stage_times(p.cur, s) or _stage_times(p.prev, s)]
    rows = []
    for stage in stages:
        now, before = _stage_times(p.cur, stage), _stage_times(p.prev, stage)
        for q in (50, 95):
            rows.append(Row(f"{stage} p{q}", "ms", Trend(percentile(now, q), percentile(before, q))))

    def totals(facts: Facts) -> list[float]:
        return [sum(ms for _, ms in f.stage_ms) for f in facts if f.stage_ms]

    for q in (50, 95):
        rows.append(
            Row(
                f"whole pipeline p{q}",
                "ms",
                Trend(percentile(totals(p.cur), q), percentile(totals(p.prev), q)),
            )
        )
    return Section(
        "latency",
        "Latency by stage (p50 / p95)",
        tuple(rows),
        bars=tuple(r.label for r in rows),
        note="Time inside each stage as the pipeline measured it; queueing between stages is not included.",
    )


def validation(p: _Periods) -> Section:
    """Which checks failed drafts, as a share of the drafts validated."""

    def validated(facts: Facts) -> list[TicketFacts]:
        return [f for f in facts if any(name == "validation" for name, _ in f.stage_ms)]

    checks = sorted({c for f in (*p.cur, *p.prev) for c in f.failed_checks})

    def any_failed(facts: Facts) -> float | None:
        checked = validated(facts)
        return ratio(sum(bool(f.failed_checks) for f in checked), len(checked))

    def failing(check: str) -> Callable[[Facts], float | None]:
        return lambda facts: ratio(
            sum(check in f.failed_checks for f in validated(facts)), len(validated(facts))
        )

    rows = [
        Row("drafts validated", "count", Trend(float(len(validated(p.cur))), float(len(validated(p.prev))))),
        Row("failed any check", "rate", p.trend(any_failed)),
        *(Row(f"check: {c}", "rate", p.trend(failing(c))) for c in checks),
    ]
    return Section(
        "validation",
        "Validation failures by check",
        tuple(rows),
        daily=p.series("drafts failing a check per day", "rate", any_failed),
        bars=tuple(r.label for r in rows[2:]),
        note=None if checks else "No check failed a draft in either period.",
    )


def review(now: Sequence[StoredGrade], before: Sequence[StoredGrade]) -> Section:
    """The monthly review's rates, with their Wilson intervals and how many grades they rest on."""
    rows = []
    for label, rate in (("escalation correct", escalation_correct), ("answer right", answer_right)):
        current, earlier = rate(now), rate(before)
        rows.append(Row(label, "rate", Trend(current.rate, earlier.rate), estimates=(current, earlier)))
    note = None
    if not now and not before:
        note = "No graded tickets yet: `ticketflow review sample`, grade the file, `ticketflow review grade`."
    return Section(
        "review", "Monthly review: graded sample", tuple(rows), bars=tuple(r.label for r in rows), note=note
    )


def build_report(stores: ReportStores, period: Period, *, now: datetime | None = None) -> Report:
    """The report of ``period`` against the period before it, from ``stores``."""
    now = now or datetime.now(UTC)
    before = previous(period)
    cur = stores.facts.ticket_facts(period.since, period.until)
    prev = stores.facts.ticket_facts(before.since, before.until)
    p = _Periods(period, before, cur, prev)
    resolution: tuple[ResolutionFigures | None, ResolutionFigures | None] = (None, None)
    if stores.resolution is not None:
        resolution = (
            stores.resolution(period.since, period.until, now),
            stores.resolution(before.since, before.until, now),
        )
    sections = (
        volumes(p),
        automation(p, resolution),
        escalation(p),
        cost(p),
        latency(p),
        validation(p),
        review(
            stores.grades.grades(period.since, period.until), stores.grades.grades(before.since, before.until)
        ),
    )
    return Report(period, before, now, (len(cur), len(prev)), sections)
