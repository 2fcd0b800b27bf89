"""Tone scoring from the workspace lexicon: profanity, anger words, shouting."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ticketflow.domain.rules import ToneLexicon

_WORD = re.compile(r"[a-z']+")
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")


@dataclass(frozen=True, slots=True)
class ToneReading:
    score: float
    evidence: tuple[str, ...]


def score_tone(text: str, lexicon: ToneLexicon) -> ToneReading:
    """A 0–1 score: each signal adds independent evidence (``1 - Π(1 - w)``)."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    evidence: list[str] = []
    weights: list[float] = []
    for word in words:
        if word in lexicon.profanity or word.rstrip("s") in lexicon.profanity:
            evidence.append(word)
            weights.append(0.6)
    padded = f" {' '.join(words)} "
    for phrase in lexicon.anger:
        if f" {phrase} " in padded:
            evidence.append(phrase)
            weights.append(0.3)
    shouted = [w for w in _SHOUT.findall(text) if w not in {"USA", "EUR", "USD", "GDPR", "FAQ", "PDF", "VAT"}]
    if len(shouted) >= 2:
        evidence.append(" ".join(shouted[:3]))
        weights.append(0.15)
    if "!!" in text:
        evidence.append("!!")
        weights.append(0.1)
    remaining = 1.0
    for w in weights:
        remaining *= 1.0 - w
    return ToneReading(round(1.0 - remaining, 4), tuple(evidence))
