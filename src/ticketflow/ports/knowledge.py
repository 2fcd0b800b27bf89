"""Where facts come from: knowledge passages, policies, and the intent model."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ticketflow.domain.context import Passage, PolicyQuote
from ticketflow.domain.rules import CannedMatch


class KnowledgeIndex(Protocol):
    """The knowledge base as the context stage searches it: passages for a query, policies for an intent."""

    def search(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first, at most one per source document."""
        ...

    def policies_for(self, intent: str | None, text: str = "") -> list[PolicyQuote]:
        """The policies whose front matter names ``intent``, most specific first; with no intent (a workspace
        without labelled tickets, or routing unsure), the policy ``text`` is most about, by content."""
        ...


class DocumentRanker(Protocol):
    """A second opinion on which documents answer a message, fused with the index's ranking."""

    def rank(self, text: str, k: int) -> list[Passage]:
        """Up to ``k`` documents for the customer's own words, best first, one passage each."""
        ...


class IntentClassifier(Protocol):
    """A trained intent model; ``labels`` are the intents it can predict."""

    labels: tuple[str, ...]

    def predict(self, text: str) -> tuple[str, float]:
        """The most likely intent and its calibrated probability."""
        ...

    def probabilities(self, text: str) -> Iterable[float]:
        """The calibrated probability of every label, in ``labels`` order (they sum to 1)."""
        ...


class ToneModel(Protocol):
    """A sentiment model trained on ``labels.sentiment``, reading the text with the lexicon's cues appended
    (``cue_text``); ``labels`` are the sentiments it can predict.
    """

    labels: tuple[str, ...]

    def predict(self, text: str) -> tuple[str, float]:
        """The most likely sentiment label and its calibrated probability."""
        ...

    def probability_of(self, text: str, label: str) -> float:
        """The calibrated probability of one label."""
        ...


class AnswerMatcher(Protocol):
    """Matches a message to a canned answer through its nearest example phrasing.

    ``threshold`` is the calibrated similarity below which nothing matches: a near miss gets no canned reply.
    """

    threshold: float

    def match(self, text: str) -> CannedMatch | None:
        """The canned answer whose example phrasing is nearest to ``text``, if above ``threshold``."""
        ...


class LanguageDetector(Protocol):
    """Tells which language a message is written in."""

    def detect(self, text: str) -> str | None:
        """The ISO 639-1 code of ``text``'s language, or None when it cannot be told (short, ambiguous)."""
        ...


class ScopeModel(Protocol):
    """How far a message is from everything the workspace was taught (a density or familiarity check).

    ``measure`` names the score in a decision's evidence ("nearest example", "familiarity").
    """

    measure: str

    @property
    def cut(self) -> float:
        """The nearness below which a message is out of scope."""
        ...

    def far(self, text: str) -> float | None:
        """The message's nearness to the workspace's examples when below ``cut`` (out of scope), else None."""
        ...
