"""``ReviewDesk``: the review queue as agents work it (leases, re-validation, sending, history).

Built by the :class:`~ticketflow.runtime.service.Runtime` (``runtime.reviews``), which owns the durable
sender that a reviewed reply goes out through. Every method but :meth:`ReviewDesk.queue` and
:meth:`ReviewDesk.item` takes the acting :class:`~ticketflow.domain.access.Principal`; every action but
:meth:`ReviewDesk.claim` requires the actor to hold a live lease on the review.
"""

from __future__ import annotations

from datetime import datetime

from ticketflow.domain.access import Principal
from ticketflow.domain.ids import TicketId
from ticketflow.domain.reviews import Revalidation, ReviewFilter, ReviewItem


class ReviewDesk:
    """The review queue's service (interface; implemented below in the same module)."""

    def queue(self, filter: ReviewFilter | None = None, now: datetime | None = None) -> list[ReviewItem]:
        """The reviews matching ``filter``, oldest due first; ``overdue`` is computed against ``now``."""
        raise NotImplementedError

    def item(self, ticket_id: TicketId | str, now: datetime | None = None) -> ReviewItem:
        """One review with its history; ``ReviewNotFound`` when the ticket has none."""
        raise NotImplementedError

    def claim(self, ticket_id: TicketId | str, actor: Principal, lease_s: float | None = None) -> ReviewItem:
        """Take the lease (``[reviews] lease_s`` by default); the holder may claim again to renew it.
        ``ReviewConflict`` when someone else holds a live lease, ``ReviewClosed`` when it is closed."""
        raise NotImplementedError

    def release(self, ticket_id: TicketId | str, actor: Principal) -> ReviewItem:
        """Give the lease back (the review is open again)."""
        raise NotImplementedError

    def check(self, ticket_id: TicketId | str, actor: Principal, body: str) -> Revalidation:
        """Validate ``body`` as the reply without sending it (a dry run)."""
        raise NotImplementedError

    def approve(self, ticket_id: TicketId | str, actor: Principal) -> Revalidation:
        """Send the draft as it is (validated again); ``ReplyBlocked`` when a blocking check fails."""
        raise NotImplementedError

    def send(self, ticket_id: TicketId | str, actor: Principal, body: str) -> Revalidation:
        """Send an edited or new reply, validated again; ``ReplyBlocked`` when a blocking check fails.
        Returns the revalidation (its warnings did not block)."""
        raise NotImplementedError

    def reject(self, ticket_id: TicketId | str, actor: Principal, reason: str) -> ReviewItem:
        """Close the review without a reply, recording ``reason``."""
        raise NotImplementedError

    def reassign(self, ticket_id: TicketId | str, actor: Principal, to: str) -> ReviewItem:
        """Hand the review to ``to`` (a holder id such as ``user:alice``): the lease is released."""
        raise NotImplementedError
