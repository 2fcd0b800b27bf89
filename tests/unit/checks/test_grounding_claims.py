"""Tests for the claim half of ticketflow.checks.grounding: sentences the context does not support fail."""

from __future__ import annotations

import pytest
from subjects import subject

from ticketflow.checks.grounding import GroundedFigures, amounts
from ticketflow.domain.checks import Verdict


def test_a_sentence_restating_the_policy_passes() -> None:
    reply = "Hi Ada,\n\nWe refund returned items to the original payment method within 5 business days."

    assert GroundedFigures().run(subject(reply)).verdict is Verdict.PASS


@pytest.mark.parametrize(
    "reply",
    [
        "That isn't in our documentation, so we can't say.",
        "Thanks for getting in touch! We're sorry for the wait.",
    ],
)
def test_saying_it_is_not_documented_and_courtesy_pass(reply: str) -> None:
    assert GroundedFigures().run(subject(reply)).verdict is Verdict.PASS


def test_an_invented_feature_fails_naming_its_new_words() -> None:
    result = GroundedFigures().run(subject("Every return includes a reusable bamboo packing crate."))

    assert result.verdict is Verdict.FAIL
    assert "bambo" in result.evidence[0]


def test_a_real_number_with_the_wrong_unit_fails() -> None:
    result = GroundedFigures().run(subject("Refunds arrive within 5 hours."))

    assert result.verdict is Verdict.FAIL
    assert "5 hour" in result.evidence
    assert amounts("3-5 business days, 4,95 EUR") == {("5", "business day"), ("4.95", "eur")}


def test_an_invented_email_address_fails() -> None:
    result = GroundedFigures().run(subject("Write to refunds@northwind-help.com for a faster refund."))

    assert result.verdict is Verdict.FAIL
    assert "refunds@northwind-help.com" in result.evidence
