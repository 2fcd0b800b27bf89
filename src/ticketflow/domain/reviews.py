"""The review queue as people work it: items, filters, the re-validation of a reply, and the refusals.

A ticket handed to a person is a :class:`ReviewItem`. An agent claims it (a lease: one holder at a time,
until the lease expires or is released), then approves the draft as it is, sends an edited or new reply,
rejects it with a reason, or reassigns it. A reply a person wrote is validated again before it goes out
(:class:`Revalidation`): a blocking check's failure (a PII leak) refuses the send, the others warn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from ticketflow.domain.ids import TicketId
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.rules import BusinessHours
from ticketflow.errors import TicketflowError


class ReviewStatus(StrEnum):
    """Where a review stands: ``open`` (nobody holds it), ``claimed`` (a live lease), or closed: ``sent``
    (a reply was handed to the durable sender) or ``rejected`` (no reply, with the agent's reason)."""

    OPEN = "open"
    CLAIMED = "claimed"
    SENT = "sent"
    REJECTED = "rejected"

    @property
    def closed(self) -> bool:
        """Whether no further action is possible (``sent`` or ``rejected``)."""
        return self in (ReviewStatus.SENT, ReviewStatus.REJECTED)


class ReviewAction(StrEnum):
    """What an agent did to a review (a row of its history and an audit event ``review_<action>``)."""

    CLAIM = "claim"
    RELEASE = "release"
    APPROVE = "approve"
    SEND = "send"
    REJECT = "reject"
    REASSIGN = "reassign"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A ticket in the review queue, as an agent sees it."""

    ticket_id: TicketId
    reason: str
    """Why it was handed off (the handoff's reason, e.g. ``refund``, ``pii``, ``delivery_failed: …``)."""
    channel: str
    """The channel the ticket came by (and that its reply goes out through)."""
    created_at: datetime
    due_at: datetime
    """When a person should have answered: the reason's target in business hours after ``created_at``."""
    overdue: bool
    """Whether ``due_at`` had passed at the time the item was read, and the review is not closed."""
    status: ReviewStatus
    """``claimed`` only while the lease is live; an expired lease reads as ``open``."""
    lease_holder: str | None
    """Who holds the live lease (``{principal.kind}:{principal.id}``), None when nobody does."""
    lease_expires_at: datetime | None
    assignee: str | None
    """Whom the review was reassigned to, if anyone (a holder id such as ``user:alice``)."""
    handoff: Handoff
    draft: str | None
    """The draft held for review (the handoff's suggested reply), None when there was none."""
    history: tuple[ReviewEntry, ...] = field(default=())
    """What agents did, oldest first (filled by ``ReviewDesk.item``, empty in queue listings)."""


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """One recorded action on a review: what, who, when, and for a send the diff and the text sent."""

    action: ReviewAction
    actor: str
    at: datetime
    reason: str | None = None
    """The rejection's reason, or for a reassignment whom it went to."""
    diff: str | None = None
    """Unified diff from the draft to what was sent (empty when sent as it was)."""
    body: str | None = None
    """The reply sent (``approve``, ``send``)."""


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """A review as the store holds it; :class:`ReviewItem` adds what is computed (due time, live status)."""

    ticket_id: TicketId
    reason: str
    channel: str
    conversation_id: str
    handoff: Handoff
    status: ReviewStatus
    """As stored: ``claimed`` stays until released or closed, even after its lease expired."""
    created_at: datetime
    lease_holder: str | None = None
    lease_expires_at: datetime | None = None
    assignee: str | None = None
    closed_at: datetime | None = None

    def live_status(self, now: datetime) -> ReviewStatus:
        """``claimed`` only while the lease is live; an expired lease reads as ``open``."""
        if self.status is ReviewStatus.CLAIMED and not self.leased(now):
            return ReviewStatus.OPEN
        return self.status

    def leased(self, now: datetime) -> bool:
        """Whether someone holds a live lease at ``now``."""
        return (
            self.status is ReviewStatus.CLAIMED
            and self.lease_holder is not None
            and self.lease_expires_at is not None
            and self.lease_expires_at > now
        )


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    """Which reviews to list; every field narrows, None leaves it open. By default the open and claimed
    ones."""

    reason: str | None = None
    """Exact handoff reason."""
    channel: str | None = None
    min_age: timedelta | None = None
    """At least this old (since ``created_at``)."""
    max_age: timedelta | None = None
    """At most this old."""
    due_before: datetime | None = None
    assignee: str | None = None
    statuses: frozenset[ReviewStatus] = frozenset({ReviewStatus.OPEN, ReviewStatus.CLAIMED})
    limit: int = 100


@dataclass(frozen=True, slots=True)
class RecheckResult:
    """One check's verdict on a reply a person wrote: whether it passed, whether its failure blocks the
    send, and its evidence."""

    name: str
    passed: bool
    blocking: bool
    evidence: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Revalidation:
    """A reply validated again before a person sends it."""

    checks: tuple[RecheckResult, ...]

    @property
    def blocked(self) -> bool:
        """Whether a blocking check failed (the reply must not go out)."""
        return any(not c.passed and c.blocking for c in self.checks)

    @property
    def warnings(self) -> tuple[RecheckResult, ...]:
        """The failed checks that do not block."""
        return tuple(c for c in self.checks if not c.passed and not c.blocking)

    @property
    def failures(self) -> tuple[RecheckResult, ...]:
        """The failed checks that block."""
        return tuple(c for c in self.checks if not c.passed and c.blocking)


MAX_DAYS_AHEAD = 3660
"""How far :func:`business_deadline` looks for working time (ten years), so a calendar without any ends."""


def business_deadline(hours: BusinessHours | None, start: datetime, target: timedelta) -> datetime:
    """``target`` of business time after ``start``: only the time inside ``hours`` counts (work that
    arrives at night is due ``target`` after the next opening). Around the clock when ``hours`` is None
    or has no working day; the result is in UTC."""
    start = start.astimezone(UTC)
    if hours is None or not hours.days or hours.closes <= hours.opens:
        return start + target
    zone = ZoneInfo(hours.timezone)
    left = target
    local_day = start.astimezone(zone).date()
    for ahead in range(MAX_DAYS_AHEAD):
        day = local_day + timedelta(days=ahead)
        if day.weekday() not in hours.days or day in hours.holidays:
            continue
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        opens = (midnight + timedelta(minutes=hours.opens)).astimezone(UTC)
        closes = (midnight + timedelta(minutes=hours.closes)).astimezone(UTC)
        begin = max(opens, start)
        if begin >= closes:
            continue
        if begin + left <= closes:
            return begin + left
        left -= closes - begin
    return start + target


class ReviewError(TicketflowError):
    """A review action refused; the message says why."""

    default_message = "the review action was refused"


class ReviewNotFound(ReviewError):
    """No review for that ticket (HTTP 404)."""

    default_message = "no review for that ticket"


class ReviewConflict(ReviewError):
    """Someone else holds the lease, or the caller holds none (HTTP 409)."""

    default_message = "another agent holds this review; wait for the lease to expire or be released"


class ReviewClosed(ReviewError):
    """The review was already sent or rejected: nothing is done twice (HTTP 409)."""

    default_message = "this review is closed"


class ReplyBlocked(ReviewError):
    """A blocking check failed on the reply (HTTP 422); ``revalidation`` says which, with evidence."""

    default_message = "the reply failed a blocking check and was not sent"

    def __init__(self, revalidation: Revalidation, message: str | None = None) -> None:
        names = ", ".join(c.name for c in revalidation.failures)
        super().__init__(message or f"the reply failed blocking check(s) {names} and was not sent")
        self.revalidation = revalidation
