"""How a ticket ended: sent to the customer, or handed to a human with everything they need."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """How a ticket ended, as reports count it: only ``sent`` counts towards the automation rate."""

    SENT = "sent"
    """A reply (canned or validated draft) went to the customer."""
    REVIEW = "review"
    """A draft exists but a human must approve or fix it (validation failed, low confidence)."""
    ESCALATED = "escalated"
    """Routing or the model decided a human must handle it."""
    DECLINED = "declined"
    """Out of scope or chatter: the workspace's configured short response (a decline, a thank-you) was
    sent; no model call, no retrieved passage. Not counted as automation."""


@dataclass(frozen=True, slots=True)
class Handoff:
    """The package a human picks up: what happened, why, and a head start."""

    summary: str
    reason: str
    tried: tuple[str, ...] = field(default=())
    context_excerpt: str = ""
    suggested_reply: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """The delivery stage's record of what it did."""

    outcome: Outcome
    reason: str | None = None
    body: str | None = None
    handoff: Handoff | None = None
