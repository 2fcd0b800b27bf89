"""Fakes of the knowledge ports: the index, a second ranker, and the intent, tone and canned-answer models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ticketflow.domain.context import Passage, PolicyQuote
from ticketflow.domain.rules import CannedMatch


@dataclass
class StaticKnowledge:
    """A ``KnowledgeIndex`` over fixed passages and policies keyed by intent; it records every query.

    ``search`` ranks the passages by how many words they share with the query (ties keep the given order).
    A query that contains a phrase of ``answers`` gets that phrase's passages instead, as they are: the way
    to script an index whose answer depends on the query.
    """

    passages: list[Passage] = field(default_factory=list)
    policies: dict[str, list[PolicyQuote]] = field(default_factory=dict)
    answers: dict[str, list[Passage]] = field(default_factory=dict)
    queries: list[tuple[str, int]] = field(default_factory=list)

    def search(self, query: str, k: int) -> list[Passage]:
        self.queries.append((query, k))
        for phrase, passages in self.answers.items():
            if phrase in query:
                return passages[:k]
        words = set(query.lower().split())
        ranked = sorted(self.passages, key=lambda p: -len(words & set(p.text.lower().split())))
        return ranked[:k]

    def policies_for(self, intent: str | None, text: str = "") -> list[PolicyQuote]:
        return list(self.policies.get(intent or "", []))


@dataclass
class FixedRanker:
    """A ``DocumentRanker`` whose ranking is ``passages`` whatever the text; it records what it was asked."""

    passages: list[Passage] = field(default_factory=list)
    asked: list[tuple[str, int]] = field(default_factory=list)

    def rank(self, text: str, k: int) -> list[Passage]:
        self.asked.append((text, k))
        return self.passages[:k]


class FixedClassifier:
    """An ``IntentClassifier`` that always predicts ``intent`` with ``probability``; it records each text.

    ``others`` gives other labels their probabilities; whatever is left goes to the label ``other``.
    """

    def __init__(
        self, intent: str, probability: float = 0.9, others: Mapping[str, float] | None = None
    ) -> None:
        spread = dict(others or {})
        self.labels: tuple[str, ...] = (intent, *spread, "other")
        self._answer = (intent, probability)
        self._probabilities = [
            probability,
            *spread.values(),
            max(0.0, 1.0 - probability - sum(spread.values())),
        ]
        self.seen: list[str] = []

    def predict(self, text: str) -> tuple[str, float]:
        self.seen.append(text)
        return self._answer

    def probabilities(self, text: str) -> list[float]:
        return list(self._probabilities)


class FixedToneModel:
    """A ``ToneModel`` that gives every text the probability ``p_negative`` of being negative.

    It predicts ``negative`` from 0.5 up, else ``neutral``; the other two labels share the rest equally.
    It records each text it predicts, so a test can see the cues routing appended.
    """

    labels: tuple[str, ...] = ("negative", "neutral", "positive")

    def __init__(self, p_negative: float) -> None:
        self._p = p_negative
        self.seen: list[str] = []

    def predict(self, text: str) -> tuple[str, float]:
        self.seen.append(text)
        return ("negative", self._p) if self._p >= 0.5 else ("neutral", 1 - self._p)

    def probability_of(self, text: str, label: str) -> float:
        return self._p if label == "negative" else (1 - self._p) / 2


@dataclass
class FixedMatcher:
    """An ``AnswerMatcher`` that matches any text containing ``phrase`` (in lower case) to ``intent``, with
    ``similarity``, like the nearest-neighbour matcher finding that example phrasing."""

    phrase: str
    intent: str
    similarity: float = 0.8
    threshold: float = 0.6

    def match(self, text: str) -> CannedMatch | None:
        if self.phrase in text.lower() and self.similarity >= self.threshold:
            return CannedMatch(self.intent, self.phrase, self.similarity)
        return None
