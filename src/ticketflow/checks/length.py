"""Length and completeness: within the word limit, not empty, and actually addressing the question."""

from __future__ import annotations

import re

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.ports.check import CheckInput

_NON_ANSWERS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bplease (contact|reach out to|get in touch with) (our )?(customer )?(support|service|team)\b",
        r"\b(i|we) (can(no|')t|am unable to|are unable to) help (you )?with (that|this)\b",
        r"\bcontact us for more information\b",
        r"\b(please )?(refer to|check|see|visit) our (website|faq|help (center|centre|pages))\b(?! for the)",
        r"\b(i|we) (don't|do not) know\b",
        r"\bsomeone (else )?will (look into|get back to you)\b",
    )
)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "your",
        "our",
        "with",
        "this",
        "that",
        "have",
        "has",
        "are",
        "was",
        "what",
        "how",
        "can",
        "when",
        "where",
    ]
)


def _content_words(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if len(w) > 3 and w not in _STOP}


def shares_no_word(question: str, reply: str, intent: str | None) -> bool:
    """Whether ``reply`` shares no content word with ``question`` (or the routed intent's name)."""
    asked = _content_words(question) | (_content_words(intent.replace("_", " ")) if intent else set())
    return bool(asked) and not asked & _content_words(reply)


class LengthCompleteness:
    """The ``length`` check: fail an empty reply, one over ``max_words`` words, or a non-answer.

    A non-answer sends the customer elsewhere ("please contact our support team"). A reply sharing no content
    word with the question (or the routed intent) only warns; an escalation passes, having no reply to check.
    """

    name = "length"

    def __init__(self, max_words: int = 200) -> None:
        self._max_words = max_words

    def run(self, subject: CheckInput) -> CheckResult:
        reply = subject.draft.reply.strip()
        if subject.draft.action == "escalate":
            return CheckResult(self.name, Verdict.PASS, ("the model escalated; no reply to check",))
        if not reply:
            return CheckResult(self.name, Verdict.FAIL, ("empty reply",))
        words = len(reply.split())
        if words > self._max_words:
            return CheckResult(self.name, Verdict.FAIL, (f"{words} words > limit {self._max_words}",))
        for pattern in _NON_ANSWERS:
            found = pattern.search(reply)
            if found:
                return CheckResult(self.name, Verdict.FAIL, (f"non-answer: {found.group(0)!r}",))
        if shares_no_word(subject.ticket.text, reply, subject.decision.intent):
            return CheckResult(
                self.name, Verdict.WARN, ("the reply shares no content word with the question",)
            )
        return CheckResult(self.name, Verdict.PASS, (f"{words} words",))
