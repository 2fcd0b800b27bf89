"""Text helpers shared by the checks: sentences, content words, and the conversational glue to skip."""

from __future__ import annotations

import re

SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "me",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "them",
        "us",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "not",
        "no",
        "so",
        "than",
        "then",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "some",
        "can",
        "could",
        "would",
        "should",
        "will",
        "just",
        "about",
        "into",
        "over",
        "also",
        "very",
        "more",
        "most",
        "much",
        "many",
        "such",
        "only",
        "own",
        "same",
        "too",
        "don't",
        "can't",
        "won't",
        "isn't",
        "it's",
        "we'll",
        "we're",
        "you'll",
        "you're",
        "i'm",
        "i've",
        "i'll",
        "let's",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "hey",
    ]
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(text) if s.strip()]


def stems(text: str) -> list[str]:
    """Content words cut to five letters: a cheap stemmer that makes "refunds" meet "refunded"."""
    return [w[:5] for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 2]


GLUE = re.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening))\b"
    r"|^(thanks|thank you|many thanks|cheers|best|regards|kind regards|all the best)\b"
    r"|^(kindly|please be advised|we regret|dear valued|rest assured|we value your|your call is important)\b"
    r"|^please (contact|refer to|reach out|get in touch|check our|visit our)\b"
    r"|\b(we|i) (are|am|'re|'m) (unable|not able) to help\b|\b(we|i) can(no|')t help\b"
    r"|\bteam\W*$"
    r"|\b(sorry|apologi[sz]e|we got this wrong|that's (frustrating|annoying|not good enough))\b"
    r"|\b(let us know|just reply|reply to this|happy to help|glad to help|hope (this|that) helps|"
    r"any other questions|anything else)\b"
    r"|\b(isn't|is not|aren't|are not|not) (in|covered (in|by)|mentioned in) our (documentation|policies|"
    r"help pages|knowledge base)\b|\b(we|i) (don't|do not) have (that|this|any) information\b",
    re.IGNORECASE,
)


def is_glue(sentence: str) -> bool:
    """Greetings, thanks, apologies, sign-offs and "that isn't in our documentation": no factual claim."""
    return GLUE.search(sentence) is not None
