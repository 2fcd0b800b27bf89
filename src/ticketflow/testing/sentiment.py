"""A fake ``SentimentLexicon``: one polarity for every text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FixedPolarity:
    """A ``SentimentLexicon`` that reads every text as ``value`` (-1 very negative to +1 very positive),
    so a test can pin what the library says and exercise the rules around it."""

    value: float

    def polarity(self, text: str) -> float:
        return self.value
