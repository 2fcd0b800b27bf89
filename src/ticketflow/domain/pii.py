"""Personal data found in text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """Personal data found at ``text[start:end]``: its entity type (``EMAIL_ADDRESS``, ``CREDIT_CARD``, …)
    and the detector's confidence, 0–1.
    """

    type: str
    start: int
    end: int
    score: float = 1.0

    def text_in(self, text: str) -> str:
        """The value found, cut from ``text``, which must be the text the span was found in."""
        return text[self.start : self.end]
