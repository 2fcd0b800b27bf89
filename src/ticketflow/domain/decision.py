"""Routing's verdict: answer from a rule, let the model draft, or put a human on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Route(StrEnum):
    """Where routing sends a ticket: a canned answer, a model draft, or a person."""

    RULE = "rule"
    """An approved canned answer; no model call."""
    AUTO = "auto"
    """The model drafts a grounded reply, which validation checks."""
    ESCALATE = "escalate"
    """A human must act; the ticket goes to the review queue with a handoff package."""
    DECLINE = "decline"
    """Out of scope or chatter (thanks, another company's order): a short configured response, no model
    call and no retrieved passage."""


@dataclass(frozen=True, slots=True)
class Trigger:
    """A rule that fired, with the words that made it fire."""

    id: str
    reason: str
    evidence: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything routing decided about a ticket, and why."""

    route: Route
    intent: str | None
    confidence: float
    reasons: tuple[str, ...] = field(default=())
    triggers: tuple[Trigger, ...] = field(default=())
    tone: float = 0.0
    """Anger, abuse and threats, 0–1 (the tone escalation threshold applies to it)."""
    injection: bool = False
    rule_id: str | None = None
    canned_answer: str | None = None
    sentiment: str | None = None
    """``negative``, ``neutral`` or ``positive``: recorded, never an escalation by itself."""
    out_of_hours: bool | None = None
    """Whether the message arrived outside the workspace's business hours (rules.yaml); None when the
    workspace sets none or the arrival time is unknown. Recorded, never an escalation by itself."""
    language: str | None = None
    """The message's language (ISO 639-1, e.g. ``de``) when detection was sure; None when unsure or off."""

    @property
    def primary_reason(self) -> str | None:
        """The first reason, which a handoff reports and evals score; None when routing gave none."""
        return self.reasons[0] if self.reasons else None
