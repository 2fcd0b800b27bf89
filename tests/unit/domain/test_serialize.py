"""Tests for ticketflow.domain.serialize.jsonable: domain values become JSON-ready structures."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.decision import Decision, Route, Trigger
from ticketflow.domain.message import Turn
from ticketflow.domain.serialize import jsonable


def test_decision_becomes_plain_json_with_enum_values_and_lists() -> None:
    decision = Decision(
        Route.ESCALATE,
        intent="get_refund",
        confidence=0.9,
        reasons=("refund",),
        triggers=(Trigger("intent:get_refund", "refund", "get_refund (0.90)"),),
    )

    data = jsonable(decision)

    assert data["route"] == "escalate"
    assert data["reasons"] == ["refund"]
    assert data["triggers"] == [
        {"id": "intent:get_refund", "reason": "refund", "evidence": "get_refund (0.90)"}
    ]
    json.dumps(data)  # must not raise


def test_nested_values_datetime_pattern_and_dict_keys() -> None:
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    value = {
        1: Turn("agent", "hello", at),
        "pattern": re.compile(r"refund\s+now"),
        "checks": (CheckResult("pii", Verdict.FAIL, ("EMAIL_ADDRESS: x@y.com",)),),
        "tags": frozenset({"a"}),
    }

    data = jsonable(value)

    assert data == {
        "1": {"role": "agent", "text": "hello", "at": "2025-01-02T03:04:05+00:00"},
        "pattern": r"refund\s+now",
        "checks": [{"name": "pii", "verdict": "fail", "evidence": ["EMAIL_ADDRESS: x@y.com"]}],
        "tags": ["a"],
    }
    json.dumps(data)


def test_plain_values_pass_through() -> None:
    assert jsonable(3) == 3
    assert jsonable("x") == "x"
    assert jsonable(None) is None
