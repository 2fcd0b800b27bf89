"""Relevance: the reply addresses what was asked, each question of several, or says which it does not.

Two readings per question, the second only when the first cannot tell:

- *Topic*: the workspace's intent model reads the question and each paragraph of the reply. A question is
  addressed when some paragraph is confidently about the question's intent or a related one (two intents
  are related when one article or policy serves both, from their front matter). This is also the
  agreement check between routing and retrieval: a confident misroute retrieves a passage on another
  topic, and a reply drawn from it is about that topic.
- *Words*: a reply that holds at least a third of the question's distinctive content words (figures and
  ids left out) is addressed too: the intent model, trained on customers' words, sometimes misreads an
  agent's reply ("look at Refund status" is still about the refund status asked for).

Only positive evidence fails a reply: some paragraph confidently about an unrelated topic (neither
routing's intent nor the question's own), and few of the question's words. A reply whose topic the model
cannot read confidently passes: that is no evidence it answers another question.

A reply may say it does not answer a question ("I can't help with your second question"): each such
sentence excuses one unaddressed question. An escalation passes, having no reply to check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ticketflow.checks._text import is_glue, sentences, stems
from ticketflow.domain.asking import asked
from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.ports.check import CheckInput
from ticketflow.ports.knowledge import IntentClassifier

MIN_TOPIC_CONFIDENCE = 0.5
"""A paragraph's predicted intent counts only at a calibrated probability of at least this (more likely
right than wrong); below it the words decide."""
MIN_WORD_SHARE = 1 / 3
_NOT_ANSWERED = re.compile(
    r"\b(can(no|')t|cannot|unable to|not able to) (help|answer|say|advise)\b"
    r"|\b(colleague|team|someone|a person) will (follow up|get back|look into|answer)\b"
    r"|\b(don't|do not) have (that|this|any) information\b",
    re.IGNORECASE,
)
_FIGURES = re.compile(r"\S*\d\S*")
_GENERIC = frozenset(stems("order orders item items northwind help please need want know like thanks hello"))


def questions(text: str) -> list[str]:
    """The questions and requests of a message: sentences ending in ``?`` or opening like one; the whole
    message when none do (a single request worded as a statement)."""
    found = asked(text)
    return found if len(found) > 1 else [text]


class Relevance:
    """The ``relevance`` check: fail a reply that answers another question than the one asked."""

    name = "relevance"

    def __init__(
        self,
        topics: IntentClassifier | None,
        related: Mapping[str, frozenset[str]] | None = None,
        *,
        min_confidence: float = MIN_TOPIC_CONFIDENCE,
    ) -> None:
        self._topics = topics
        self._related = dict(related or {})
        self._min_confidence = min_confidence

    def _near(self, intent: str) -> frozenset[str]:
        return self._related.get(intent, frozenset()) | {intent}

    def _topic(self, text: str) -> str | None:
        if self._topics is None:
            return None
        intent, confidence = self._topics.predict(text)
        return intent if confidence >= self._min_confidence else None

    def _addressed(self, question: str, intent: str | None, paragraphs: list[str], reply: str) -> str | None:
        """None when ``question`` is addressed, else why not: only a reply confidently about another
        topic that also lacks the question's words fails (no confident topic is no evidence)."""
        asked = {t for t in (intent, self._topic(question)) if t is not None}
        told = [t for t in (self._topic(p) for p in paragraphs) if t is not None]
        if not asked or not told or any(t in self._near(a) for a in asked for t in told):
            return None
        wanted = {w for w in stems(_FIGURES.sub(" ", question)) if w not in _GENERIC}
        share = len(wanted & set(stems(reply))) / len(wanted) if wanted else 1.0
        if share >= MIN_WORD_SHARE:
            return None
        return (
            f"asked about {', '.join(sorted(asked))}, the reply is about {', '.join(dict.fromkeys(told))}; "
            f"it holds {share:.0%} of the question's words"
        )

    def run(self, subject: CheckInput) -> CheckResult:
        if subject.draft.action == "escalate":
            return CheckResult(self.name, Verdict.PASS, ("the model escalated; no reply to check",))
        reply = subject.draft.reply
        said = sentences(reply)
        paragraphs = [
            " ".join(s for s in sentences(p) if not is_glue(s)) for p in re.split(r"\n\s*\n", reply)
        ]
        paragraphs = [p for p in paragraphs if p and not _NOT_ANSWERED.search(p)]
        excused = sum(1 for s in said if _NOT_ANSWERED.search(s))
        asked = questions(subject.ticket.text)
        routed = subject.decision.intent if len(asked) == 1 else None
        missed = []
        for question in asked:
            why = self._addressed(question, routed, paragraphs, reply)
            if why is not None:
                missed.append(f"{question[:80]!r}: {why}")
        if len(missed) > excused:
            return CheckResult(self.name, Verdict.FAIL, tuple(missed))
        noted = f"{len(asked)} question(s) addressed" + (f", {excused} said not answered" if excused else "")
        return CheckResult(self.name, Verdict.PASS, (noted,))
