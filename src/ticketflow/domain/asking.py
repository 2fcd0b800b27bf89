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


_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_GRATITUDE = frozenset(
    [
        "thanks",
        "thank",
        "thx",
        "ty",
        "tysm",
        "cheers",
        "appreciated",
        "appreciate",
        "grateful",
        "kudos",
        "danke",
        "dank",
        "merci",
        "gracias",
        "grazie",
        "obrigado",
        "obrigada",
        "bedankt",
        "tack",
        "takk",
        "kiitos",
        "dzięki",
        "děkuji",
        "спасибо",
        "благодарю",
        "谢谢",
        "感谢",
        "多谢",
        "ありがとう",
        "ありがとうございます",
    ]
)
"""Words that thank, in English and a few other languages (from general knowledge)."""
_COURTESY = _GRATITUDE | frozenset(
    [
        "so",
        "much",
        "very",
        "a",
        "lot",
        "lots",
        "many",
        "you",
        "u",
        "all",
        "guys",
        "team",
        "folks",
        "again",
        "for",
        "the",
        "your",
        "that",
        "this",
        "it",
        "that's",
        "great",
        "perfect",
        "awesome",
        "brilliant",
        "lovely",
        "wonderful",
        "excellent",
        "fantastic",
        "amazing",
        "good",
        "nice",
        "super",
        "cool",
        "ok",
        "okay",
        "kind",
        "kindly",
        "really",
        "truly",
        "indeed",
        "help",
        "helping",
        "helped",
        "quick",
        "fast",
        "reply",
        "response",
        "answer",
        # leave-taking: "have a nice day", "take care", "bye"
        "have",
        "day",
        "evening",
        "weekend",
        "week",
        "take",
        "care",
        "bye",
        "sorted",
        "solved",
        "fixed",
        "works",
        "worked",
        "now",
        "and",
        "is",
        "was",
        "all's",
        "hi",
        "hello",
        "hey",
        "oh",
        "wow",
        "yes",
        "yay",
        "mate",
        "sir",
        "madam",
        "best",
        "regards",
        "vielen",
        "schön",
        "herzlichen",
        "beaucoup",
        "muchas",
        "mille",
        "tante",
        "mil",
        "muito",
        "bien",
        "sehr",
        "большое",
        "非常",
    ]
)
"""Words that may stand beside thanks in a message that only thanks."""


_LEAVE_TAKING = re.compile(r"(?:and )?have a (?:nice|good|great|lovely) (?:day|evening|weekend|week)")
"""A wish that opens like a request ("have …") and asks nothing."""


def only_thanks(text: str) -> bool:
    """Whether ``text`` thanks and does nothing else: it asks nothing, and every word is thanks or
    courtesy ("Thanks so much!", "great, cheers 👍", "vielen Dank"). Anything more ("thanks, but the
    refund is wrong", "thanks for nothing") is not only thanks."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(_MENTION.sub("", text.strip()))]
    return (
        any(w in _GRATITUDE for w in words)
        and all(w in _COURTESY for w in words)
        # "help" is courtesy here ("thanks for the help"), so no request words
        and not [s for s in asked(text) if not _LEAVE_TAKING.fullmatch(s.strip(" .!,").lower())]
    )
