"""Tests for ticketflow.checks.escalation: the draft's action against routing, with both sides in evidence."""

from __future__ import annotations

from subjects import subject

from ticketflow.checks.escalation import EscalationConsistency
from ticketflow.domain.checks import Verdict
from ticketflow.domain.decision import Route


def test_replying_when_routing_requires_a_person_fails_showing_both_sides() -> None:
    result = EscalationConsistency().run(
        subject("Refunds take 5 days.", route=Route.ESCALATE, reasons=("refund",))
    )

    assert result.verdict is Verdict.FAIL
    assert result.evidence[0].startswith("routing: escalate (refund")
    assert result.evidence[1] == "draft: reply"


def test_replying_when_routing_was_only_unsure_warns() -> None:
    result = EscalationConsistency().run(
        subject("Refunds take 5 days.", route=Route.ESCALATE, reasons=("unsure",))
    )

    assert result.verdict is Verdict.WARN


def test_a_handoff_written_as_prose_fails() -> None:
    result = EscalationConsistency().run(subject("I'm transferring you to a colleague now."))

    assert result.verdict is Verdict.FAIL
    assert "in prose" in result.evidence[0]


def test_escalating_without_a_routing_reason_warns_and_agreement_passes() -> None:
    extra = EscalationConsistency().run(subject("", action="escalate"))
    agreed = EscalationConsistency().run(
        subject("", action="escalate", route=Route.ESCALATE, reasons=("refund",))
    )
    plain = EscalationConsistency().run(subject("Refunds take 5 days."))

    assert extra.verdict is Verdict.WARN
    assert extra.evidence == ("routing: auto", "draft: escalate")
    assert agreed.verdict is Verdict.PASS
    assert plain.verdict is Verdict.PASS
