"""Tests for ticketflow.checks.tone: banned phrases, boilerplate, blame, acknowledging an upset customer."""

from __future__ import annotations

from subjects import subject

from ticketflow.checks.tone import ToneBrand
from ticketflow.domain.checks import Verdict

BANNED = ("Dear valued customer", "As per our policy")


def test_a_plain_warm_reply_passes() -> None:
    result = ToneBrand(BANNED).run(subject("Hi Ada, your refund reaches your card within 5 business days."))

    assert result.verdict is Verdict.PASS


def test_a_phrase_the_voice_bans_fails_whatever_its_case() -> None:
    result = ToneBrand(BANNED).run(subject("as per our policy, refunds take 5 business days."))

    assert result.verdict is Verdict.FAIL
    assert result.evidence == ("banned by voice.md: 'as per our policy'",)


def test_robotic_boilerplate_and_blame_fail_with_each_named() -> None:
    reply = "Rest assured we will help. You should have read the order page."
    result = ToneBrand(BANNED).run(subject(reply))

    assert result.verdict is Verdict.FAIL
    assert any("rest assured" in e for e in result.evidence)
    assert any("you should have" in e.lower() for e in result.evidence)


def test_an_upset_customer_needs_an_acknowledgement() -> None:
    facts = "Refunds take 5 business days."
    by_tone = ToneBrand(BANNED, upset_at=0.25).run(subject(facts, tone=0.3))
    by_words = ToneBrand(BANNED).run(subject(facts, question="Still waiting for my refund, so disappointed."))
    acknowledged = ToneBrand(BANNED).run(subject(f"We're sorry this has taken so long. {facts}", tone=0.3))

    assert by_tone.verdict is Verdict.FAIL
    assert by_words.verdict is Verdict.FAIL
    assert acknowledged.verdict is Verdict.PASS
