"""What generation produces: a structured reply and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Action = Literal["reply", "escalate"]


@dataclass(frozen=True, slots=True)
class Usage:
    """One model call, as the ledger records it. ``projected`` marks a cost computed, not charged.

    ``attempt_id`` is the HTTP attempt's id in the attempt journal (``ports.attempts``), so a result's calls
    can be told apart from attempts journaled but lost with a crashed process. ``in_doubt`` marks an attempt
    whose answer was never seen: its cost is the journal's upper-bound estimate, not a charge read back.
    """

    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float = 0.0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    projected: bool = False
    attempt: int = 1
    request_id: str | None = None
    stop_reason: str | None = None
    purpose: str = "generation"
    attempt_id: str | None = None
    in_doubt: bool = False


@dataclass(frozen=True, slots=True)
class Draft:
    """A reply proposed for a ticket, never sent before validation passes it."""

    reply: str
    action: Action = "reply"
    escalation_reason: str | None = None
    cited_sources: tuple[str, ...] = field(default=())
    confidence: float = 0.0
    usage: tuple[Usage, ...] = field(default=())
    attempt: int = 1
    projections: tuple[Usage, ...] = field(default=())
    """What the same prompt would cost on each priced Claude model (offline drafter only)."""
    masked: tuple[str, ...] = field(default=())
    """The placeholders (``<EMAIL_ADDRESS_1>``) that stood in for personal values in the prompt the model
    saw: what the audit records of the data that reached it, never the values."""

    @classmethod
    def handoff(cls, reason: str, *, attempt: int, usage: tuple[Usage, ...] = ()) -> Draft:
        """No reply: the ticket goes to a person for ``reason``, with the model calls it took."""
        return cls(reply="", action="escalate", escalation_reason=reason, usage=usage, attempt=attempt)
