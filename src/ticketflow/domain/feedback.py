"""Customer feedback on an answer: a rating with an optional comment, and the signed link that asks for it.

A reply can end with a link to a tiny rating form. The link carries a token that names the ticket and an
expiry, signed with HMAC-SHA256 under a secret from the environment; the token is the only credential the
rating needs, so it must be unforgeable (the signature), short-lived (the expiry), and bound to one ticket::

    t_3q2…Zg.1767225600.kR9…0w    ticket id . expiry (Unix seconds) . base64url(HMAC-SHA256(secret, …))

(the MAC covers ``"feedback:" + ticket id + "." + expiry``).

Everything here is pure: the caller passes the time and the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from ticketflow.domain.ids import TicketId, could_be_id

MAX_COMMENT = 2000
"""Characters of a rating's comment that are kept; a longer one is refused, not cut."""
MAX_TOKEN = 200
"""No valid token is longer (a ticket id of at most 64 characters, an expiry, a 43-character signature)."""


class Rating(StrEnum):
    """What a rating says about the answer, whatever scale it came on."""

    GOOD = "good"
    BAD = "bad"
    NEUTRAL = "neutral"
    """A middle score (3 of 5): rated, but it neither confirms the answer nor rejects it."""


@dataclass(frozen=True, slots=True)
class Feedback:
    """A customer's rating of a ticket's answer, as recorded (the latest one replaces an earlier one)."""

    ticket_id: TicketId
    rating: Rating
    score: int | None
    """The 1–5 score when the customer gave one (None for a good/bad rating)."""
    comment: str | None
    source: str
    """Where it came from: ``link`` (our signed link), or a helpdesk's name (its own satisfaction rating)."""
    at: datetime


def parse_rating(value: object) -> tuple[Rating, int | None]:
    """A rating as a customer or a helpdesk gives it: ``good``/``bad``, or a score from 1 to 5.

    Scores of 4–5 are good, 1–2 bad, 3 neutral. Anything else raises ``ValueError`` saying what is accepted.
    """
    if isinstance(value, bool):
        raise ValueError("a rating is 'good', 'bad' or a score from 1 to 5")
    text = str(value).strip().lower()
    if text in (Rating.GOOD, Rating.BAD):
        return Rating(text), None
    if text.isdigit() and 1 <= int(text) <= 5:
        score = int(text)
        return (Rating.GOOD if score >= 4 else Rating.BAD if score <= 2 else Rating.NEUTRAL), score
    raise ValueError(f"a rating is 'good', 'bad' or a score from 1 to 5, not {str(value)[:20]!r}")


class TokenError(ValueError):
    """A feedback token that cannot be used; ``reason`` is ``malformed``, ``forged`` or ``expired``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(secret: bytes, ticket_id: str, expires: int) -> str:
    return _b64(hmac.new(secret, f"feedback:{ticket_id}.{expires}".encode(), hashlib.sha256).digest())


def sign_token(ticket_id: TicketId, expires_at: datetime, secret: bytes) -> str:
    """A token for rating ``ticket_id`` until ``expires_at`` (to the second), signed with ``secret``."""
    if not secret:
        raise ValueError("a feedback token needs a non-empty secret")
    expires = int(expires_at.timestamp())
    return f"{ticket_id}.{expires}.{_mac(secret, ticket_id, expires)}"


def read_token(token: str, secret: bytes, now: datetime) -> TicketId:
    """The ticket a token rates, or ``TokenError``: malformed, forged (the signature does not match, which
    includes a token signed under another secret), or expired (``now`` is at or past its expiry)."""
    parts = token.split(".") if len(token) <= MAX_TOKEN else []
    if len(parts) != 3 or not parts[1].isdigit() or not parts[0] or not could_be_id(parts[0]):
        raise TokenError("malformed", "the feedback token is malformed (copy the whole link from the email)")
    ticket_id, expires = parts[0], int(parts[1])
    if not secret or not hmac.compare_digest(_mac(secret, ticket_id, expires).encode(), parts[2].encode()):
        raise TokenError("forged", "the feedback token is not valid (its signature does not match)")
    if now.timestamp() >= expires:
        raise TokenError("expired", "the feedback link has expired")
    return TicketId(ticket_id)


@dataclass(frozen=True, slots=True)
class FeedbackLinks:
    """Makes the signed link appended to replies: ``{base_url}/feedback?t=TOKEN``, valid for ``ttl``."""

    base_url: str
    secret: bytes
    ttl: timedelta
    footer: str
    """The text appended to a reply; ``{link}`` becomes the link."""

    def url(self, ticket_id: TicketId, now: datetime) -> str:
        """The landing page's address for rating ``ticket_id``, expiring ``ttl`` after ``now``."""
        token = sign_token(ticket_id, now + self.ttl, self.secret)
        return f"{self.base_url.rstrip('/')}/feedback?{urlencode({'t': token})}"

    def append_to(self, reply: str, ticket_id: TicketId, now: datetime) -> str:
        """``reply`` followed by the footer with its link."""
        return f"{reply.rstrip()}\n\n{self.footer.replace('{link}', self.url(ticket_id, now))}"

    def read(self, token: str, now: datetime) -> TicketId:
        """:func:`read_token` under this secret."""
        return read_token(token, self.secret, now)


def now_utc() -> datetime:
    """Now, in UTC (the default clock of the feedback routes)."""
    return datetime.now(UTC)
