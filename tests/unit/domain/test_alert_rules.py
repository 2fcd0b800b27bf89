"""Alert rules: measured from window figures; fired once, resolved when clear, re-fired after cool-down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketflow.domain.alerts import (
    AlertRule,
    AlertState,
    BacklogFigures,
    Metric,
    ModelFigures,
    Reading,
    TicketFigures,
    advance,
    measure,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RULE = AlertRule("escalations", Metric.ESCALATION_RATE, 0.4, cooldown_s=600)


def run(readings: list[tuple[float, float | None]]) -> tuple[AlertState, list[str]]:
    """Feed (minutes after T0, value) readings; the final state and the events, as ``kind#seq``."""
    state, events = AlertState(RULE.name), []
    for minutes, value in readings:
        state, event = advance(RULE, state, Reading(value, 10), T0 + timedelta(minutes=minutes))
        if event is not None:
            events.append(f"{event.kind}#{event.seq}")
    return state, events


def test_a_breach_fires_once_however_long_it_lasts() -> None:
    state, events = run([(0, 0.5), (1, 0.6), (2, 0.9)])
    assert events == ["fired#1"] and state.firing and state.value == 0.9


def test_a_firing_rule_resolves_when_the_metric_falls_to_the_threshold() -> None:
    state, events = run([(0, 0.5), (1, 0.4)])
    assert events == ["fired#1", "resolved#1"] and not state.firing


def test_a_breach_within_the_cool_down_waits_then_fires_once_it_is_over() -> None:
    state, events = run([(0, 0.5), (1, 0.1), (5, 0.7), (9, 0.8)])
    assert events == ["fired#1", "resolved#1"] and state.status == "cooling"
    state, later = advance(RULE, state, Reading(0.8, 10), T0 + timedelta(minutes=11))
    assert later is not None and (later.kind, later.seq) == ("fired", 2) and state.firing


def test_a_breach_that_clears_within_the_cool_down_never_pages() -> None:
    _, events = run([(0, 0.5), (1, 0.1), (5, 0.7), (6, 0.2), (30, 0.1)])
    assert events == ["fired#1", "resolved#1"]


def test_no_reading_keeps_the_state_as_it_is() -> None:
    state, events = run([(0, 0.5), (1, None), (2, None)])
    assert events == ["fired#1"] and state.firing and state.value == 0.5


def test_the_event_names_the_rule_its_value_and_threshold() -> None:
    _, event = advance(RULE, AlertState(RULE.name), Reading(0.55, 20), T0)
    assert event is not None
    assert event.key == "alert:escalations:1:fired"
    assert event.summary == "escalations firing: escalation_rate > 0.4 over 1h (now 0.55)"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (AlertRule("c", Metric.COST_PER_TICKET, 0.02), 0.03),
        (AlertRule("e", Metric.ESCALATION_RATE, 0.4), 0.25),
        (AlertRule("any", Metric.CHECK_FAILURE_RATE, 0.2), 0.5),
        (AlertRule("g", Metric.CHECK_FAILURE_RATE, 0.2, check="grounding"), 0.375),
        (AlertRule("m", Metric.MODEL_ERROR_RATE, 0.05), 0.1),
        (AlertRule("l", Metric.MODEL_LATENCY_P95_MS, 1000), 2500.0),
        (AlertRule("b", Metric.BUDGET_SPENT, 0.8), 0.9),
        (AlertRule("d", Metric.BACKLOG_DEPTH, 10), 12.0),
        (AlertRule("a", Metric.BACKLOG_AGE_S, 60), 90.0),
    ],
)
def test_each_metric_is_measured_from_its_figures(rule: AlertRule, expected: float) -> None:
    tickets = TicketFigures(
        finished=20, not_sent=5, cost_usd=0.6, validated=8, failed_any=4, failed_by_check={"grounding": 3}
    )
    models = ModelFigures(attempts=30, failed=3, calls=27, latency_p95_ms=2500.0)
    reading = measure(rule, tickets, models, BacklogFigures(12, 90.0), 9.0, 10.0)
    assert reading.value == pytest.approx(expected)


def test_too_few_samples_is_no_reading() -> None:
    rule = AlertRule("e", Metric.ESCALATION_RATE, 0.4, min_samples=20)
    reading = measure(rule, TicketFigures(finished=5, not_sent=5), ModelFigures(), BacklogFigures(), 0, None)
    assert reading == Reading(None, 5)


def test_no_daily_budget_means_the_budget_rule_is_not_measured() -> None:
    rule = AlertRule("b", Metric.BUDGET_SPENT, 0.8)
    assert measure(rule, TicketFigures(), ModelFigures(), BacklogFigures(), 50.0, None).value is None
