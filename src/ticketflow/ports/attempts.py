"""The attempt journal: every paid HTTP attempt to a model, written down before it is sent.

A ticket's model calls reach the ledger with its result, when the ticket finishes. A process killed while a
call is in flight (or after it returned, before the stage's checkpoint) loses that call's usage, and the
recovered stage calls the model again: the first, paid call would be missing from the ledger and from the
daily budget. So each attempt is journaled before it is sent (:meth:`AttemptJournal.began`, with an upper
bound of its cost) and settled after (:meth:`~AttemptJournal.settled` or :meth:`~AttemptJournal.failed`),
each in its own short write; recording the result then ledgers every journaled attempt of the ticket that
the result does not carry, at its settled usage or, in doubt, at its estimate.

::

    journal.began(ticket_id, attempt_id, "claude-sonnet-5-5", "generation", estimate_usd=0.0042)
    ...                                   # the HTTP attempt
    journal.settled(attempt_id, usage)    # or journal.failed(attempt_id, 529, "req_…")
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ticketflow.domain.draft import Usage
from ticketflow.domain.ids import TicketId


class AttemptJournal(Protocol):
    """What providers write: an attempt before it is sent, and how it ended."""

    def began(self, ticket_id: TicketId, attempt_id: str, model: str, purpose: str, estimate: float) -> None:
        """Journal an attempt about to be sent; ``estimate`` (USD) bounds what it can cost."""
        ...

    def settled(self, attempt_id: str, usage: Usage) -> None:
        """The attempt was answered and charged ``usage``."""
        ...

    def failed(self, attempt_id: str, status: int | None, request_id: str | None) -> None:
        """The attempt got an error answer (``status``; None when no answer came): nothing was charged."""
        ...


class AttemptLog(AttemptJournal, Protocol):
    """The journal as the ledger reads it back."""

    def unledgered(
        self, ticket_id: TicketId, known: Iterable[str], *, ledgered_too: bool = False
    ) -> tuple[Usage, ...]:
        """The ticket's journaled attempts not yet in the ledger whose ids are not in ``known`` (the result's
        own calls), in the order they began: settled ones at their usage, the rest ``in_doubt``.
        ``ledgered_too``: also those recording the result has just ledgered (for metrics read after it)."""
        ...
