"""The report's figures from a fake read model: rates, reasons, percentiles, trends, resolution, grades."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ticketflow.domain.ids import TicketId
from ticketflow.domain.reports import Grade, GradeKind, ResolutionFigures, StoredGrade, TicketFacts
from ticketflow.errors import ConfigError
from ticketflow.evals.periods import period_ending
from ticketflow.evals.report import Report, Row, build_report, reason_group
from ticketflow.evals.report_render import fmt_change, to_json, to_markdown, write_report
from ticketflow.wiring.reports import ReportStores, figures_from_summary, resolution_source

UNTIL = datetime(2026, 11, 30, tzinfo=UTC)
WEEK = period_ending("week", UNTIL)


def fact(n: int, day: int, outcome: str = "sent", **more: object) -> TicketFacts:
    values: dict[str, object] = {
        "ticket_id": TicketId(f"t{n}"),
        "channel": "email",
        "received_at": WEEK.since + timedelta(days=day, hours=10),
        "outcome": outcome,
        "reason": None,
        "route": "auto",
    }
    return TicketFacts(**(values | more))  # type: ignore[arg-type]


@dataclass
class FakeFacts:
    facts: list[TicketFacts]

    def ticket_facts(self, since: datetime, until: datetime) -> list[TicketFacts]:
        return [f for f in self.facts if since <= f.received_at < until]

    def review_candidates(self, since: datetime, until: datetime) -> dict[str, list[TicketId]]:
        raise NotImplementedError

    def review_items(self, sampled: dict[TicketId, str]) -> list[object]:
        raise NotImplementedError


@dataclass
class FakeGrades:
    stored: list[StoredGrade] = field(default_factory=list)

    def record_grades(self, grades: list[Grade], *, at: datetime) -> int:
        raise NotImplementedError

    def grades(self, since: datetime, until: datetime) -> list[StoredGrade]:
        return [g for g in self.stored if since <= g.received_at < until]


def build(facts: list[TicketFacts], grades: list[StoredGrade] | None = None, resolution=None) -> Report:  # type: ignore[no-untyped-def]
    stores = ReportStores(FakeFacts(facts), FakeGrades(grades or []), resolution)  # type: ignore[arg-type]
    return build_report(stores, WEEK, now=UNTIL)


def rows(report: Report, section: str) -> dict[str, Row]:
    (found,) = [s for s in report.sections if s.id == section]
    return {r.label: r for r in found.rows}


def test_an_empty_store_gives_no_rates_rather_than_zeros_and_still_renders() -> None:
    report = build([])

    assert rows(report, "automation")["automation rate"].trend.current is None
    assert rows(report, "cost")["cost per ticket"].trend.current is None
    assert rows(report, "volumes")["tickets"].trend.current == 0
    text = to_markdown(report, {})
    assert "| automation rate | – | – | – |" in text
    assert to_json(report)["tickets"] == {"current": 0, "previous": 0}


def test_rates_count_only_sent_tickets_as_automated_and_trend_against_the_previous_week() -> None:
    now = [
        fact(1, 0),
        fact(2, 1),
        fact(3, 2, "escalated", reason="refund"),
        fact(4, 3, "review", reason="validation:grounding", failed_checks=("grounding",)),
    ]
    before = [fact(10, -7), fact(11, -6, "escalated", reason="refund")]

    report = build(now + before)

    automation = rows(report, "automation")["automation rate"].trend
    assert (automation.current, automation.previous) == (0.5, 0.5)
    escalation = rows(report, "escalation")
    assert escalation["escalation rate"].trend.current == 0.5
    assert escalation["reason: refund"].trend.current == 0.25
    assert escalation["reason: validation"].trend.current == 0.25
    assert escalation["reason: validation"].trend.previous == 0.0
    assert rows(report, "volumes")["outcome: review"].trend.previous == 0
    assert fmt_change(escalation["reason: refund"].trend, "rate") == "▼ -25.0 pp"


def test_cost_per_drafted_ticket_counts_only_drafted_ones() -> None:
    facts = [fact(1, 0, cost_usd=0.004, drafted=True, input_tokens=100), fact(2, 1, route="rule")]

    cost = rows(build(facts), "cost")

    assert cost["cost per ticket"].trend.current == pytest.approx(0.002)
    assert cost["cost per drafted ticket"].trend.current == pytest.approx(0.004)
    assert cost["input tokens per ticket"].trend.current == pytest.approx(50)
    assert cost["cost per drafted ticket"].trend.previous is None  # no tickets the week before


def test_latency_percentiles_are_per_stage_and_for_the_whole_pipeline() -> None:
    facts = [fact(n, 0, stage_ms=(("routing", float(n)), ("delivery", 1.0))) for n in range(1, 101)]

    latency = rows(build(facts), "latency")

    assert latency["routing p50"].trend.current == pytest.approx(50.5)
    assert latency["routing p95"].trend.current == pytest.approx(95.05)
    assert latency["whole pipeline p50"].trend.current == pytest.approx(51.5)
    assert "context p50" not in latency  # no ticket went through it


def test_validation_failures_are_a_share_of_the_drafts_validated() -> None:
    checked = (("validation", 1.0),)
    facts = [
        fact(1, 0, stage_ms=checked, failed_checks=("grounding", "tone")),
        fact(2, 0, stage_ms=checked, failed_checks=("grounding",)),
        fact(3, 0, stage_ms=checked),
        fact(4, 0, stage_ms=checked),
        fact(5, 0),  # a canned answer: never validated
    ]

    validation = rows(build(facts), "validation")

    assert validation["drafts validated"].trend.current == 4
    assert validation["failed any check"].trend.current == 0.5
    assert validation["check: grounding"].trend.current == 0.5
    assert validation["check: tone"].trend.current == 0.25


def test_verified_resolution_is_not_measured_until_the_store_offers_it() -> None:
    assert rows(build([fact(1, 0)]), "automation")["verified resolution"].note == "not measured"

    class Feedback:
        def resolution_summary(
            self, since: datetime, until: datetime, now: datetime
        ) -> dict[str, int] | None:
            return {"verified": 3, "eligible": 4} if since == WEEK.since else None

    source = resolution_source(Feedback())
    assert source is not None
    verified = rows(build([fact(1, 0)], resolution=source), "automation")["verified resolution"]
    assert (verified.trend.current, verified.trend.previous) == (0.75, None)
    assert verified.note == "3 resolved of 4 decided answers"
    assert resolution_source(object()) is None
    assert figures_from_summary({"rate": 0.5}) is None
    assert figures_from_summary(ResolutionFigures(1, 2)) == ResolutionFigures(1, 2)

    @dataclass
    class Summary:  # the feedback store's ResolutionSummary: judged on the answers no longer pending
        sent: int
        resolved: int
        pending: int

    assert figures_from_summary(Summary(sent=10, resolved=6, pending=2)) == ResolutionFigures(6, 8)


def test_the_review_shows_the_graded_rates_of_the_periods_tickets_with_their_intervals() -> None:
    def stored(n: int, day: int, should: bool, right: bool | None) -> StoredGrade:
        grade = Grade(TicketId(f"t{n}"), GradeKind.ANSWERED, should, right)
        return StoredGrade(grade, UNTIL, WEEK.since + timedelta(days=day))

    grades = [
        stored(1, 0, False, True),
        stored(2, 1, False, False),
        stored(3, 2, True, None),
        stored(4, -3, False, True),
    ]

    review = rows(build([], grades), "review")

    correct = review["escalation correct"]
    assert correct.estimates is not None
    assert (correct.estimates[0].successes, correct.estimates[0].n) == (2, 3)
    assert (correct.estimates[1].successes, correct.estimates[1].n) == (1, 1)
    assert review["answer right"].trend.current == 0.5
    assert "n=2" in to_markdown(build([], grades), {})


def test_validation_failures_are_grouped_as_one_reason() -> None:
    assert reason_group("validation:grounding,tone") == "validation"
    assert reason_group(None) == "unstated"
    assert reason_group("refund") == "refund"


def test_without_matplotlib_a_plotted_report_names_the_extra_and_json_still_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)
    report = build([fact(1, 0)])

    with pytest.raises(ConfigError, match=r"pip install 'ticketflow\[reports\]'"):
        write_report(report, "html", tmp_path / "r.html")
    assert write_report(report, "json", None) is not None
