"""Where sentiment polarity comes from: a maintained lexicon library (VADER by default), or none."""

from __future__ import annotations

from typing import Protocol


class SentimentLexicon(Protocol):
    """A lexicon library's polarity, one of routing's readings of tone; without one, polarity is 0."""

    def polarity(self, text: str) -> float:
        """From -1 (very negative) through 0 (neutral) to +1 (very positive)."""
        ...
