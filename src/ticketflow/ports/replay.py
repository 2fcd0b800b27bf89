"""What ``ticketflow replay`` reads: finished tickets by arrival, and each one's conversation as it stood.

A port of its own (beside ``ports.reports``): nothing here writes, so a replay can run against the
production database while it serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import Turn
from ticketflow.domain.replay import StoredTicket


class ReplaySource(Protocol):
    """Stored tickets to replay, and the history each one had (a ``HistorySource`` frozen in time)."""

    def replayable(self, since: datetime, until: datetime) -> list[TicketId]:
        """The finished, unerased tickets received in ``[since, until)``, oldest first."""
        ...

    def stored_tickets(self, ids: Sequence[TicketId]) -> list[StoredTicket]:
        """Those tickets as stored, in the order of ``ids`` (ids not found are left out)."""
        ...

    def history(self, conversation_id: ConversationId, before: TicketId, limit: int) -> list[Turn]:
        """The last ``limit`` turns of the conversation as they stood when ``before`` was handled: the
        customer's messages before it and our replies written before its own; oldest first."""
        ...
