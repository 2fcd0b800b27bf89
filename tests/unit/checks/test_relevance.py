"""Tests for ticketflow.checks.relevance: a reply on another topic fails; each question must be addressed."""

from __future__ import annotations

from tests.unit.checks.subjects import subject

from ticketflow.checks.relevance import Relevance, questions
from ticketflow.domain.checks import Verdict


class KeywordTopics:
    """An intent model that reads one keyword per intent (confident), else is unsure."""

    labels = ("get_refund", "track_refund", "newsletter_subscription", "track_order")

    def predict(self, text: str) -> tuple[str, float]:
        lowered = text.lower()
        for word, intent in (
            ("newsletter", "newsletter_subscription"),
            ("tracking", "track_order"),
            ("refund", "get_refund"),
        ):
            if word in lowered:
                return intent, 0.9
        return "get_refund", 0.2


CHECK = Relevance(KeywordTopics(), {"get_refund": frozenset({"track_refund"})})


def test_a_reply_on_the_asked_topic_passes() -> None:
    result = CHECK.run(subject("Hi,\n\nYour refund reaches your card within 5 business days.\n\nThe team"))
    assert result.verdict is Verdict.PASS


def test_a_reply_on_another_topic_fails_naming_both() -> None:
    result = CHECK.run(subject("Hi,\n\nYou can leave the newsletter from any of its emails.\n\nThe team"))
    assert result.verdict is Verdict.FAIL
    assert "newsletter_subscription" in result.evidence[0]


def test_two_questions_one_unanswered_fails_and_saying_so_passes() -> None:
    asked = "Where is my tracking number? Also, how do I leave the newsletter?"
    only_one = "Hi,\n\nYour tracking number is in the shipping email.\n\nThe team"
    said = only_one.replace("\n\nThe team", "\n\nI can't help with your second question; a colleague will.")
    both = only_one.replace("\n\nThe team", "\n\nThe newsletter has an unsubscribe link.\n\nThe team")
    assert CHECK.run(subject(only_one, asked)).verdict is Verdict.FAIL
    assert CHECK.run(subject(said, asked)).verdict is Verdict.PASS
    assert CHECK.run(subject(both, asked)).verdict is Verdict.PASS


def test_without_a_confident_topic_nothing_fails() -> None:
    check = Relevance(None)
    asked = "Can I repaint the wooden bench myself?"
    answer = "Yes, the wooden bench can be repainted with any oil paint."
    assert check.run(subject(answer, asked)).verdict is Verdict.PASS
    assert check.run(subject("Our opening hours are 9 to 5.", asked)).verdict is Verdict.PASS  # no evidence


def test_an_escalation_passes() -> None:
    assert CHECK.run(subject("", action="escalate")).verdict is Verdict.PASS


def test_questions_splits_only_several() -> None:
    assert questions("Where is my parcel?") == ["Where is my parcel?"]
    assert questions("Hi. Where is my parcel? And can I pay by card?") == [
        "Where is my parcel?",
        "And can I pay by card?",
    ]
