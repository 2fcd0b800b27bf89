"""Where facts come from: knowledge passages, policies, and the intent model."""

from __future__ import annotations

from typing import Protocol

from ticketflow.domain.context import Passage, PolicyQuote


class KnowledgeIndex(Protocol):
    def search(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first."""
        ...

    def policies_for(self, intent: str | None) -> list[PolicyQuote]:
        """The policies whose front matter names ``intent``, most specific first."""
        ...


class IntentClassifier(Protocol):
    labels: tuple[str, ...]

    def predict(self, text: str) -> tuple[str, float]:
        """The most likely intent and its calibrated probability."""
        ...
