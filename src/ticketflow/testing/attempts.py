"""A fake attempt journal (``ports.attempts.AttemptLog``) in memory, read back as ``storage.SqlAttempts`` is.

::

    journal = MemoryAttempts()
    provider = OpenAICompatibleProvider(..., journal=journal)
    provider.generate(request)
    assert [a.state for a in journal.entries.values()] == ["settled"]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ticketflow.domain.draft import Usage
from ticketflow.domain.ids import TicketId


@dataclass
class JournaledAttempt:
    """One attempt as journaled: ``state`` is ``began``, ``settled`` or ``failed``."""

    ticket_id: TicketId
    model: str
    purpose: str
    estimate: float
    state: str = "began"
    usage: Usage | None = None
    status: int | None = None
    request_id: str | None = None
    ledgered: bool = False


@dataclass
class MemoryAttempts:
    """``AttemptLog`` in memory; ``entries`` keeps attempts by id, in the order they began."""

    entries: dict[str, JournaledAttempt] = field(default_factory=dict)

    def began(self, ticket_id: TicketId, attempt_id: str, model: str, purpose: str, estimate: float) -> None:
        self.entries[attempt_id] = JournaledAttempt(ticket_id, model, purpose, estimate)

    def settled(self, attempt_id: str, usage: Usage) -> None:
        entry = self.entries[attempt_id]
        entry.state, entry.usage, entry.request_id = "settled", usage, usage.request_id

    def failed(self, attempt_id: str, status: int | None, request_id: str | None) -> None:
        entry = self.entries[attempt_id]
        entry.state, entry.status, entry.request_id = "failed", status, request_id

    def unledgered(
        self, ticket_id: TicketId, known: Iterable[str], *, ledgered_too: bool = False
    ) -> tuple[Usage, ...]:
        skip = set(known)
        mine = [(aid, e) for aid, e in self.entries.items() if e.ticket_id == ticket_id]
        return tuple(
            _usage(aid, e, number)
            for number, (aid, e) in enumerate(mine, start=1)
            if (ledgered_too or not e.ledgered) and aid not in skip
        )


def _usage(attempt_id: str, e: JournaledAttempt, number: int) -> Usage:
    if e.state == "settled" and e.usage is not None:
        return replace(e.usage, attempt_id=attempt_id)
    failed = e.state == "failed"
    return Usage(
        model=e.model,
        input_tokens=0,
        output_tokens=0,
        cost_usd=0.0 if failed else e.estimate,
        attempt=number,
        request_id=e.request_id,
        stop_reason=f"error:{e.status or 0}" if failed else "in_doubt",
        purpose=e.purpose,
        attempt_id=attempt_id,
        in_doubt=not failed,
    )
