"""The review desk's store: reviews read and changed by agents, each change one conditional update."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from ticketflow.domain.ids import TicketId
from ticketflow.domain.reviews import ReviewEntry, ReviewRecord, ReviewStatus


class ReviewRecords(Protocol):
    """Reviews as agents work them.

    Every change but :meth:`claim` succeeds only for the holder of a live lease (``status = 'claimed'``,
    ``lease_holder = holder``, ``lease_expires_at > now``), checked and applied in one conditional UPDATE, so
    two agents racing (on any number of processes) change a review once. Each change appends its
    :class:`ReviewEntry` and an audit event ``review_<action>`` in the same transaction. A refused change
    returns ``(False, the review as it is)``, or ``(False, None)`` when there is no review for the ticket.
    """

    def find(self, ticket_id: TicketId) -> ReviewRecord | None:
        """The review of the ticket, if it was handed off."""
        ...

    def listing(
        self,
        statuses: Collection[ReviewStatus],
        reason: str | None = None,
        channel: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        assignee: str | None = None,
    ) -> list[ReviewRecord]:
        """The reviews whose *stored* status is in ``statuses`` and that match every filter given."""
        ...

    def claim(
        self, ticket_id: TicketId, holder: str, now: datetime, until: datetime
    ) -> tuple[bool, ReviewRecord | None]:
        """Lease the review to ``holder`` until ``until``, if it is not closed and nobody else holds a live
        lease (the holder renews its own)."""
        ...

    def release(self, ticket_id: TicketId, holder: str, now: datetime) -> tuple[bool, ReviewRecord | None]:
        """End the holder's lease: the review is open again."""
        ...

    def close(
        self, ticket_id: TicketId, holder: str, now: datetime, status: ReviewStatus, entry: ReviewEntry
    ) -> tuple[bool, ReviewRecord | None]:
        """Close the review (``sent`` or ``rejected``) and record ``entry`` (its reply, diff or reason)."""
        ...

    def reassign(
        self, ticket_id: TicketId, holder: str, now: datetime, to: str
    ) -> tuple[bool, ReviewRecord | None]:
        """Assign the review to ``to`` and end the holder's lease."""
        ...

    def history(self, ticket_id: TicketId) -> tuple[ReviewEntry, ...]:
        """What agents did to the review, oldest first."""
        ...

    def unsent(self) -> list[tuple[TicketId, str]]:
        """Reviews closed ``sent`` whose reply the sender has not recorded as sent: (ticket, reply)."""
        ...
