"""Tests for ``ticketflow train``'s printout (ticketflow.evals.render.render_training)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from ticketflow.evals.render import render_training


def _report(escalating: int) -> dict[str, Any]:
    trade = {
        "escalating": escalating,
        "others": 35,
        "risk_mass": 0.25,
        "missed_top": 1,
        "missed_mass": 0,
        "needless_top": 2,
        "needless_mass": 3,
    }
    return {
        "examples": 40,
        "labels": 18,
        "cross_validated": True,
        "accuracy": 0.4,
        "automated_accuracy": 0.6,
        "unsure_threshold": 0.27,
        "automated_share": 0.5,
        "escalation": trade,
        "weak": [],
        "warnings": [],
    }


def _printed(report: dict[str, Any]) -> str:
    console = Console(record=True, width=200)
    render_training(report, console)
    return console.export_text()


def test_no_held_out_example_of_an_escalating_intent_is_said_so_not_counted_as_zero() -> None:
    text = _printed(_report(escalating=0))

    assert "of 0 held-out examples" not in text
    assert "none of their examples could be held out" in text


def test_the_trade_is_printed_when_there_are_held_out_examples() -> None:
    assert "of 5 held-out examples, 1 would be answered" in _printed(_report(escalating=5))
