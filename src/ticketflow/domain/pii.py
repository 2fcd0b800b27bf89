"""Personal data found in text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PiiSpan:
    type: str
    start: int
    end: int
    score: float = 1.0

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]
