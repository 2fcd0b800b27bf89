"""Tests for ticketflow.checks.length.LengthCompleteness: word limit, empty replies, non-answers."""

from __future__ import annotations

from ticketflow.checks.length import LengthCompleteness
from ticketflow.domain.checks import Verdict
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.draft import Action, Draft
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.ports.check import CheckInput


def _subject(
    reply: str, question: str = "How long does express delivery take?", action: Action = "reply"
) -> CheckInput:
    ticket = Ticket(
        ticket_id_for("api", "m-1"),
        conversation_id_for("api", "m-1"),
        InboundMessage("api", "m-1", CustomerRef(email="ada@example.com"), question),
    )
    decision = Decision(Route.AUTO, intent="delivery_options", confidence=0.9)
    context = ContextPack(None, (), (), (), rendered="", tokens=0)
    return CheckInput(ticket, decision, context, Draft(reply, action=action))


def test_reply_that_answers_within_the_limit_passes() -> None:
    result = LengthCompleteness().run(_subject("Express delivery takes 1-2 business days."))

    assert result.verdict is Verdict.PASS
    assert result.name == "length"
    assert result.evidence == ("6 words",)


def test_reply_over_the_word_limit_fails_with_the_count() -> None:
    reply = "Express delivery takes one or two business days. " * 5  # 40 words

    result = LengthCompleteness(max_words=30).run(_subject(reply))

    assert result.verdict is Verdict.FAIL
    assert result.evidence == ("40 words > limit 30",)


def test_empty_reply_fails() -> None:
    result = LengthCompleteness().run(_subject("   \n "))

    assert result.verdict is Verdict.FAIL
    assert result.evidence == ("empty reply",)


def test_sending_the_customer_back_to_support_is_a_non_answer() -> None:
    result = LengthCompleteness().run(_subject("About express delivery: please contact our support team."))

    assert result.verdict is Verdict.FAIL
    assert result.evidence == ("non-answer: 'please contact our support'",)


def test_refusing_to_help_is_a_non_answer() -> None:
    result = LengthCompleteness().run(_subject("Sorry, we can't help with that delivery question."))

    assert result.verdict is Verdict.FAIL
    assert result.evidence[0].startswith("non-answer:")


def test_reply_sharing_no_word_with_the_question_only_warns() -> None:
    result = LengthCompleteness().run(_subject("Our mugs are dishwasher safe."))

    assert result.verdict is Verdict.WARN
    assert not result.failed


def test_escalation_has_no_reply_to_check() -> None:
    result = LengthCompleteness().run(_subject("", action="escalate"))

    assert result.verdict is Verdict.PASS
