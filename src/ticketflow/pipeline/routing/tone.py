"""Tone: an anger score for escalation, and a sentiment reading for the decision record.

Two different questions, kept apart on purpose:

- **Anger, abuse, threats** (``ToneReading.score``, 0–1): profanity and anger words from the workspace
  lexicon (``rules.yaml``), shouting, "!!". At or above the tone threshold the ticket escalates (``tone``).
- **Negative sentiment** (``ToneReading.negative``): is the customer unhappy at all? A maintained lexicon
  library's polarity (VADER, behind the ``SentimentLexicon`` port) plus our service-failure rules below,
  which catch complaints that use no negative word ("still waiting", "cancelled again"). Most unhappy
  customers are not abusive; negative sentiment is recorded, it does not escalate by itself.

A tone model trained from ``labels.sentiment`` (``ticketflow train``) reads the text plus the cues of the
lexicon reading (:func:`cue_text`), so it learns how far to trust them on the workspace's own traffic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ticketflow.domain.rules import ToneLexicon
from ticketflow.ports.sentiment import SentimentLexicon

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"

_WORD = re.compile(r"[a-z']+")
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")

# Service failures and frustration as customers write them, in any support domain. Each match is a sign of
# a complaint even when the words themselves are not negative ("my bag is still in Denver").
_NOT = (
    r"(?:hasn'?t|haven'?t|didn'?t|wasn'?t|weren'?t|isn'?t|aren'?t|won'?t|can'?t|cannot|couldn'?t|"
    r"doesn'?t|don'?t)"
)
_COMPLAINT = re.compile(
    r"\b(?:"
    r"delay(?:ed|s)?|late|cancell?(?:ed|ation|ations)|lost|missing|misplaced|broken|damaged|wrong|stuck|"
    r"stranded|waiting|waited|wait(?:ing)?\s+(?:for|on)|on\s+hold|hold\s+for|"
    r"still\s+(?:no|not|waiting|haven'?t|hasn'?t|nothing)|no\s+(?:one|response|reply|answer|help|update|"
    r"info(?:rmation)?|email|call)|nobody|never\s+(?:arrived|received|got|came|showed|answered|responded|"
    r"again)|" + _NOT + r"\s+(?:arrive|arrived|work|working|get|got|help|helped|answer|respond|receive|"
    r"received|show|load|let|be|even)|rude|unhelpful|worst|terrible|horrible|awful|ridiculous|"
    r"unacceptable|disappoint(?:ed|ing)|frustrat(?:ed|ing)|annoyed|upset|angry|fail(?:ed|s|ure)?|problem|"
    r"issue|complain(?:t)?|charged\s+(?:twice|again|for)|overcharged|refund|compensation|hours?|"
    r"seriously|why\s+(?:is|are|did|do|does|can'?t|won'?t|would)|what\s+the|wtf|ugh|smh|sucks?|joke"
    r")\b",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"\b(?:thanks?|thank\s+you|thx|appreciate[ds]?|great|awesome|love|amazing|excellent|kudos|wonderful|"
    r"perfect|glad)\b",
    re.IGNORECASE,
)
NEGATIVE_POLARITY = -0.05
"""VADER's own documented cut for negative text."""
POSITIVE_POLARITY = 0.05
COMPLAINT_CEILING = 0.5
"""A complaint marker counts unless the text is clearly positive overall ("no problem, thanks a lot!")."""
ANGRY_WORD = 0.3
"""The anger score of one anger word; a profanity scores 0.6."""


@dataclass(frozen=True, slots=True)
class ToneReading:
    """The lexicon reading of a message's tone: the anger ``score`` that can escalate, and the sentiment cues.

    ``evidence`` holds the words and signs behind the score: the tone trigger's evidence when it escalates.
    """

    score: float
    """Anger, abuse and threats, 0–1: what the tone escalation threshold applies to."""
    evidence: tuple[str, ...]
    polarity: float = 0.0
    """The lexicon library's polarity, -1..1 (0 without a library)."""
    complaints: tuple[str, ...] = ()
    """Service-failure markers found (our rules)."""
    thanks: bool = False

    @property
    def negative(self) -> bool:
        """The lexicon-only sentiment call: negative polarity, a complaint, or an abusive or angry word.

        Shouting and "!!" alone do not count: happy customers shout too ("THANK YOU!!").
        """
        return (
            self.polarity <= NEGATIVE_POLARITY
            or (bool(self.complaints) and self.polarity < COMPLAINT_CEILING)
            or self.score >= ANGRY_WORD
        )

    @property
    def sentiment(self) -> str:
        if self.negative:
            return NEGATIVE
        return POSITIVE if self.polarity >= POSITIVE_POLARITY or self.thanks else NEUTRAL


def score_tone(text: str, lexicon: ToneLexicon, library: SentimentLexicon | None = None) -> ToneReading:
    """Anger as independent evidence (``1 - Π(1 - w)``), plus the sentiment cues."""
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
    return ToneReading(
        round(1.0 - remaining, 4),
        tuple(evidence),
        polarity=round(library.polarity(text), 4) if library is not None else 0.0,
        complaints=tuple(m.group(0).lower() for m in _COMPLAINT.finditer(text)),
        thanks=_THANKS.search(text) is not None,
    )


def cue_text(text: str, reading: ToneReading) -> str:
    """The text with the lexicon reading appended as tokens, the input of a trained tone model.

    Polarity goes in nine bins; complaint markers count up to three; anger and thanks are flags. The tokens
    are unlike any word, so the model learns their weight from the workspace's labels.
    """
    cues = [f"tfpolarity{int((reading.polarity + 1.0) * 4)}"] * 2
    cues += ["tfcomplaint"] * min(len(reading.complaints), 3)
    if reading.score > 0.0:
        cues.append("tfanger")
    if reading.thanks:
        cues.append("tfthanks")
    return f"{text} {' '.join(cues)}"
