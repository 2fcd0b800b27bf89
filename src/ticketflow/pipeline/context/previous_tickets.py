"""Which of a customer's earlier tickets are worth showing: similar to this one, and recent.

A ticket about the same order or the same intent last week helps the reply ("as we said on Monday...");
one about something else a year ago only spends tokens. Similarity is word overlap plus a bonus for the same
intent; recency halves the weight every ``half_life_days`` (never below half, so an old but identical
question still counts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from ticketflow.domain.context import PastTicket

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_STOP_WORDS = """a an and are at be can do does for from had has have how i if in is it its me my no not of
on or our please so that the their them there this to was we what when where which who why will with would
you your hi hello thanks thank"""
_STOP = frozenset(_STOP_WORDS.split())
SAME_INTENT_BONUS = 0.5
MIN_SIMILARITY = 0.15


def terms(text: str) -> frozenset[str]:
    """The content words of ``text``, lower-cased, without stop words and single characters."""
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1)


def similarity(text_terms: frozenset[str], intent: str | None, past: PastTicket) -> float:
    """Jaccard overlap of the words, plus ``SAME_INTENT_BONUS`` when both tickets have the same intent."""
    other = terms(past.text)
    union = text_terms | other
    overlap = len(text_terms & other) / len(union) if union else 0.0
    return overlap + (SAME_INTENT_BONUS if intent and past.intent == intent else 0.0)


def rank_previous(
    text: str,
    intent: str | None,
    candidates: Sequence[PastTicket],
    now: datetime | None,
    *,
    k: int = 2,
    half_life_days: float = 30.0,
) -> list[PastTicket]:
    """The ``k`` most relevant of ``candidates`` (similar enough to matter), most relevant first."""
    text_terms = terms(text)
    scored: list[tuple[float, int, PastTicket]] = []
    for n, past in enumerate(candidates):
        sim = similarity(text_terms, intent, past)
        if sim < MIN_SIMILARITY:
            continue
        age_days = 0.0
        if now is not None and past.at is not None:
            age_days = max((now - past.at).total_seconds() / 86400, 0.0)
        recency = 0.5 ** (age_days / half_life_days)
        scored.append((sim * (0.5 + 0.5 * recency), -n, past))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return [past for _, _, past in scored[:k]]
