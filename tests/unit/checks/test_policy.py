"""Tests for ticketflow.checks.policy: commitments the policy does not back, actions the system can't take."""

from __future__ import annotations

import pytest
from subjects import subject

from ticketflow.checks.policy import PolicyPromises
from ticketflow.domain.checks import Verdict
from ticketflow.domain.decision import Route


@pytest.mark.parametrize(
    "reply",
    [
        "We refund returned items within 5 business days of the return arriving at our warehouse.",
        "Damaged items are refunded in full, including the original shipping cost.",
        "Standard shipping is free on orders over 60 EUR.",
        "Start a return under Account > Orders > Return items.",
    ],
)
def test_commitments_the_policy_backs_pass(reply: str) -> None:
    assert PolicyPromises().run(subject(reply)).verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("reply", "named"),
    [
        ("We'll refund you today, before the item reaches us.", "refund"),
        ("Your refund will arrive within 2 hours.", "within 2 hours"),
        ("We'll send you a 20% voucher for the trouble.", "voucher"),
        ("Express shipping is free for you this time.", "free"),
        ("We guarantee it will be fixed.", "guarantee"),
    ],
)
def test_commitments_the_policy_does_not_back_fail_and_are_named(reply: str, named: str) -> None:
    result = PolicyPromises().run(subject(reply))

    assert result.verdict is Verdict.FAIL
    assert named in result.evidence[0].lower()


@pytest.mark.parametrize(
    "reply",
    [
        "I'll call you tomorrow to sort this out.",
        "I've escalated this to our manager.",
        "A manager will call you.",
    ],
)
def test_actions_the_system_cannot_take_fail(reply: str) -> None:
    result = PolicyPromises().run(subject(reply))

    assert result.verdict is Verdict.FAIL
    assert "cannot take" in result.evidence[0]


def test_saying_it_was_escalated_is_true_when_the_draft_escalates() -> None:
    draft_escalates = subject("We've passed this to the right person.", action="escalate")
    routed = subject("I've escalated this to our refunds team.", route=Route.ESCALATE, reasons=("refund",))

    assert PolicyPromises().run(draft_escalates).verdict is Verdict.PASS
    assert PolicyPromises().run(routed).verdict is Verdict.PASS
