"""The hook for a helpdesk's own satisfaction ratings: a port no channel implements yet.

Zendesk, Intercom and Freshdesk each ask customers to rate a solved ticket, but ``FACTS-channels.md`` (the
wire formats our channels and their fakes are built from) records nothing about those ratings, so no
channel reads them: inventing a payload would give a fake that agrees with us and a desk that does not.
When the facts exist, a channel implements :class:`HelpdeskRatings`; the desk poller calls it on its
schedule and records each rating with :meth:`~ticketflow.ports.store.FeedbackStore.rate`, ``source`` set to
the desk's name, the value through :func:`~ticketflow.domain.feedback.parse_rating` (good/bad or 1–5). The
rest (the ticket's ``feedback``, verified resolution, ``/metrics``) then counts it like a link's rating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class HelpdeskRating:
    """One rating as a helpdesk reports it, named by the desk's own ids."""

    external_id: str
    """The desk's id of the message or ticket that was rated (our ``tickets.external_id``)."""
    value: str
    """As the desk gives it: ``good``/``bad`` or a score from 1 to 5 (see ``parse_rating``)."""
    comment: str | None
    at: datetime


class HelpdeskRatings(Protocol):
    """A channel that can list the satisfaction ratings its desk collected."""

    def ratings_since(self, cursor: Any | None) -> tuple[list[HelpdeskRating], Any]:
        """Ratings given after ``cursor`` (None: from the start), and the cursor to resume from."""
        ...
