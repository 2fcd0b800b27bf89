"""Verified resolution: did an automated answer solve the customer's problem, or only close the ticket?

"Sent" says a reply left; it does not say it worked. An answer counts as **resolved** only when the
customer confirmed it (a good rating, or a next message that only thanks or confirms) or did not come back
within the window (72 hours by default). It is **reopened** when the customer's next message within the
window asks for more, or when they rated it bad; **pending** while the window is open and nothing has
happened yet. A rating decides over a message (it is the customer's explicit verdict, whenever given).

The window is half-open: a message at ``answered_at + window`` is already outside it (a new matter, which
does not reopen the answer), and at that instant a quiet answer is resolved.

This module is pure: the store gathers the facts (:class:`Answer`) and :func:`resolve` judges them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ticketflow.domain.feedback import Rating
from ticketflow.domain.ids import TicketId

DEFAULT_WINDOW = timedelta(hours=72)


class State(StrEnum):
    """Where an automated answer stands."""

    RESOLVED = "resolved"
    REOPENED = "reopened"
    PENDING = "pending"


class Why(StrEnum):
    """What decided the state."""

    RATED_GOOD = "rated_good"
    RATED_BAD = "rated_bad"
    CONFIRMED = "confirmed"
    """The customer's next message only thanked or confirmed."""
    FOLLOW_UP = "follow_up"
    """The customer's next message, within the window, asked for more."""
    QUIET = "quiet"
    """The window closed without the customer coming back."""
    WINDOW_OPEN = "window_open"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The customer's next message after the answer: when it came, and what it said."""

    at: datetime
    text: str
    ticket_id: TicketId | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """One automated answer and what the customer did after it (the facts :func:`resolve` judges)."""

    ticket_id: TicketId
    answered_at: datetime
    follow_up: FollowUp | None = None
    """The customer's first message after ``answered_at`` on the same conversation, if any."""
    rating: Rating | None = None
    rated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The verdict on one answer."""

    state: State
    why: Why
    decided_at: datetime | None
    """When it was decided (the rating, the message, the window's end); None while pending."""
    window_ends: datetime


# Words that thank, approve or confirm, and the few short words that hold them together. A message made
# only of these (and at least one of the first kind) says "that solved it"; any other word, a question
# mark or a negation means it says something more. Deliberately small and general: it misses some
# confirmations (they then count as reopened, the conservative side), it should not miss a new question.
# (word lists read better as words: hence str.split)
_ACKNOWLEDGE = frozenset(
    """thanks thank thx ty cheers appreciated appreciate great perfect awesome excellent brilliant wonderful
    fantastic amazing solved resolved fixed sorted worked works working helped helpful ok okay got understood
    yes yep yeah fine good nice cool""".split()  # noqa: SIM905
)
_FILLER = frozenset(
    """you so much very a lot lots that this it all now is was has have been i me we for the your again
    really many super just what needed exactly everything perfectly well kind of oh ah hi hello regards best
    kindly that's thats it's its all's and to out there done""".split()  # noqa: SIM905
)
_NEGATION = frozenset(
    """not no never nothing still but however don't doesn't didn't isn't wasn't won't""".split()  # noqa: SIM905
)
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
MAX_CONFIRMATION_WORDS = 12


def is_confirmation(text: str) -> bool:
    """Whether a message only thanks or confirms (``Thanks, that worked!``), asking for nothing more."""
    if "?" in text:
        return False
    words = [w.replace("\u2019", "'") for w in _WORDS.findall(text.casefold().replace("\u2019", "'"))]
    if not words or len(words) > MAX_CONFIRMATION_WORDS:
        return False
    if any(w in _NEGATION for w in words):
        return False
    return any(w in _ACKNOWLEDGE for w in words) and all(w in _ACKNOWLEDGE or w in _FILLER for w in words)


def resolve(answer: Answer, now: datetime, window: timedelta = DEFAULT_WINDOW) -> Resolution:
    """Judge one automated answer at ``now``: resolved, reopened, or pending (see the module docstring)."""
    ends = answer.answered_at + window
    if answer.rating is Rating.GOOD:
        return Resolution(State.RESOLVED, Why.RATED_GOOD, answer.rated_at, ends)
    if answer.rating is Rating.BAD:
        return Resolution(State.REOPENED, Why.RATED_BAD, answer.rated_at, ends)
    follow = answer.follow_up
    if follow is not None and answer.answered_at < follow.at < ends:
        if is_confirmation(follow.text):
            return Resolution(State.RESOLVED, Why.CONFIRMED, follow.at, ends)
        return Resolution(State.REOPENED, Why.FOLLOW_UP, follow.at, ends)
    if now >= ends:
        return Resolution(State.RESOLVED, Why.QUIET, ends, ends)
    return Resolution(State.PENDING, Why.WINDOW_OPEN, None, ends)


@dataclass(frozen=True, slots=True)
class ResolutionSummary:
    """Automated answers of a period and how they stand: what reports show beside "sent"."""

    sent: int = 0
    resolved: int = 0
    reopened: int = 0
    pending: int = 0
    rated_good: int = 0
    rated_bad: int = 0
    rated_neutral: int = 0

    @property
    def verified_rate(self) -> float | None:
        """Resolved ÷ decided (sent minus pending); None when nothing is decided yet."""
        decided = self.sent - self.pending
        return self.resolved / decided if decided else None

    def as_dict(self) -> dict[str, int | float | None]:
        """The counts and the verified rate, as reports and the API show them."""
        return {
            "sent": self.sent,
            "resolved": self.resolved,
            "reopened": self.reopened,
            "pending": self.pending,
            "rated_good": self.rated_good,
            "rated_bad": self.rated_bad,
            "rated_neutral": self.rated_neutral,
            "verified_resolution_rate": self.verified_rate,
        }


def summarise(
    answers: Iterable[Answer], now: datetime, window: timedelta = DEFAULT_WINDOW
) -> ResolutionSummary:
    """Count the answers by state and by rating."""
    states = dict.fromkeys(State, 0)
    ratings = dict.fromkeys(Rating, 0)
    sent = 0
    for answer in answers:
        sent += 1
        states[resolve(answer, now, window).state] += 1
        if answer.rating is not None:
            ratings[answer.rating] += 1
    return ResolutionSummary(
        sent=sent,
        resolved=states[State.RESOLVED],
        reopened=states[State.REOPENED],
        pending=states[State.PENDING],
        rated_good=ratings[Rating.GOOD],
        rated_bad=ratings[Rating.BAD],
        rated_neutral=ratings[Rating.NEUTRAL],
    )
