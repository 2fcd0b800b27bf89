"""Finding personal data in text."""

from __future__ import annotations

from typing import Protocol

from ticketflow.domain.pii import PiiSpan


class PiiDetector(Protocol):
    def find(self, text: str, known: tuple[str, ...] = ()) -> list[PiiSpan]:
        """Spans of personal data in ``text``; ``known`` are values (names, emails) already on file."""
        ...
