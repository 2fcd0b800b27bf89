"""Finding personal data in text, and masking it before text leaves for an external model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ticketflow.domain.pii import PiiSpan


class PiiDetector(Protocol):
    """Finds personal data in text, so a reply's leaks are caught and a prompt is masked before it leaves."""

    entities: tuple[str, ...]
    """The entity types this detector can emit (what an evaluation scores it on)."""

    def find(self, text: str, known: tuple[str, ...] = ()) -> list[PiiSpan]:
        """Spans of personal data in ``text``; ``known`` are values (names, emails) already on file."""
        ...


@dataclass(frozen=True, slots=True)
class MaskedText:
    """Text with personal data replaced by placeholders such as ``<EMAIL_1>``, and the way back."""

    text: str
    placeholders: tuple[tuple[str, str], ...] = field(default=())
    """``(placeholder, original value)`` pairs, in order of first appearance."""

    @property
    def types(self) -> tuple[str, ...]:
        """The entity type behind each placeholder, in order (``<EMAIL_ADDRESS_1>``: ``EMAIL_ADDRESS``)."""
        return tuple(p.strip("<>").rsplit("_", 1)[0] for p, _ in self.placeholders)


class PiiMasker(Protocol):
    """Replaces personal data with placeholders before text goes to an external model, and puts it back after.

    Only the :class:`MaskedText` that ``mask`` returned can unmask, so it is kept until the reply is unmasked.
    """

    def mask(self, text: str, known: tuple[str, ...] = ()) -> MaskedText:
        """``text`` with every personal value (found, or ``known`` from the record) replaced reversibly."""
        ...

    def unmask(self, text: str, masked: MaskedText) -> str:
        """Put the original values back where the placeholders are (for personalising a validated reply)."""
        ...
