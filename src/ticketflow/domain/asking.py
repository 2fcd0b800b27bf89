"""Which sentences of a message ask something: questions and requests, shared by routing and validation."""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_QUESTION_START = re.compile(
    r"^(how|what|when|where|which|who|why|whom|whose|can|could|would|will|do|does|did|is|are|am|was|"
    r"should|shall|may|might|have|has|any|please|pls|plz|i need|i want|i'd like|i would like|help)\b",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"\b(please|pls|plz|can you|could you|would you|need|want|wanna|i'd like|would like|help|how do i|"
    r"how can i|how to|tell me|let me know|send me|give me|have to|got to|gotta|trying to|try to|"
    r"(problem|problems|trouble|issue|issues|error|errors) (with|when|while|to)|can't|cannot|unable to|"
    r"where|when|which|what|how|info|information|details)\b",
    re.IGNORECASE,
)
"""Requests worded as statements ("problem with the delivery period", "I have to cancel"): not venting."""
_MENTION = re.compile(r"^(?:[@#]\w+[\s,:]*)+")


def _sentences(text: str) -> list[str]:
    return [_MENTION.sub("", s.strip()).strip() for s in _SENTENCE.split(text) if s.strip()]


def asked(text: str) -> list[str]:
    """The questions and requests of ``text``: sentences ending in ``?`` or opening like one (a leading
    ``@handle`` skipped)."""
    return [s for s in _sentences(text) if s.endswith("?") or _QUESTION_START.search(s)]


def asks_anything(text: str) -> bool:
    """Whether ``text`` holds a question or a request anywhere ("please", "can you", "I need")."""
    return bool(asked(text)) or _REQUEST.search(text) is not None
