"""Read models: a stored ticket as the API, the console and reports read it, typed instead of raw rows.

``TicketView.to_json()`` is the body of ``GET /v1/tickets/{id}``; its keys are the field names below, so the
API's shape is visible here. Every time is timezone-aware (UTC), whichever database it was read from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.decision import Decision, Route, Trigger
from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.serialize import jsonable


class TicketStatus(StrEnum):
    """Where a ticket is: accepted, being worked on by the runtime, or recorded with its result."""

    QUEUED = "queued"
    """Accepted and stored; its workflow may not have started."""
    PROCESSING = "processing"
    DONE = "done"
    """The result is recorded; nothing moves a ticket out of this state."""


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One model call a ticket made, as the ledger recorded it (``seq`` counts from 1 per ticket)."""

    ticket_id: TicketId
    seq: int
    purpose: str
    model: str
    projected: bool
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cost_usd: float
    latency_ms: float
    attempt: int
    request_id: str | None
    stop_reason: str | None
    at: datetime
    attempt_id: str | None = None
    """The attempt journal's id for the HTTP attempt (None for projections and unjournaled calls)."""
    in_doubt: bool = False
    """Journaled but never seen answered (its process died): ``cost_usd`` is the upper-bound estimate."""


@dataclass(frozen=True, slots=True)
class FetchLine:
    """One lookup of the customer's facts: which source, how long, whether found, which facts were stale."""

    ticket_id: TicketId
    seq: int
    source: str
    latency_ms: float
    found: bool
    stale: tuple[str, ...]
    error: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One event of a ticket's append-only trail (``accepted``, ``sent``, ``handed_off``, ``decided``)."""

    event: str
    detail: Mapping[str, Any] | None
    at: datetime


class DeliveryStatus(StrEnum):
    """Where one outgoing message is: recorded before the send, sent with the channel's receipt, or failed."""

    QUEUED = "queued"
    """Recorded before the channel is called; a crash here leaves it queued, and the step decides again."""
    SENT = "sent"
    FAILED = "failed"
    """The channel refused it for good (or every retry failed): the ticket is in review with the reason."""


@dataclass(frozen=True, slots=True)
class DeliveryLine:
    """One outgoing message of a ticket (``reply``, ``hand_off`` or ``holding``) and how its sending went."""

    ticket_id: TicketId
    kind: str
    channel: str
    status: DeliveryStatus
    attempts: int
    message_id: str | None
    """The channel's id for what it created (an email's Message-ID, a helpdesk comment id)."""
    error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    body: str | None = None

    @property
    def key(self) -> str:
        """The idempotency key the channel was called with."""
        return f"send:{self.ticket_id}:{self.kind}"


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket with everything recorded about it: decision, draft, checks, delivery, ledger and audit."""

    id: TicketId
    status: TicketStatus
    channel: str
    external_id: str
    conversation_id: ConversationId
    received_at: datetime | None
    decision: Decision | None = None
    draft: str | None = None
    checks: tuple[CheckResult, ...] = field(default=())
    outcome: str | None = None
    outcome_reason: str | None = None
    reply: str | None = None
    """The reply in the outbox, when one was sent."""
    handoff: Handoff | None = None
    """The package in the review queue, when the ticket was handed to a person."""
    stage_latency_ms: Mapping[str, float] = field(default_factory=dict)
    ledger: tuple[LedgerLine, ...] = field(default=())
    fetches: tuple[FetchLine, ...] = field(default=())
    audit: tuple[AuditEntry, ...] = field(default=())
    deliveries: tuple[DeliveryLine, ...] = field(default=())
    """Each outgoing message and its status (``queued``, ``sent``, ``failed``), oldest first."""

    @property
    def workflow_id(self) -> str:
        """The id of the ticket's workflow (the message's idempotency key)."""
        return f"msg:{self.channel}:{self.external_id}"

    def to_json(self) -> dict[str, Any]:
        """The ticket as ``GET /v1/tickets/{id}`` returns it: every field, times as ISO 8601 strings."""
        body: dict[str, Any] = jsonable(self)
        return body


def decision_from_json(recorded: Mapping[str, Any]) -> Decision:
    """The ``Decision`` recorded as JSON; keys this version does not know are ignored, missing ones
    take their defaults."""
    known = {f.name for f in dataclasses.fields(Decision)}
    values = {k: v for k, v in recorded.items() if k in known}
    values["route"] = Route(values["route"])
    values["reasons"] = tuple(values.get("reasons", ()))
    values["triggers"] = tuple(Trigger(**t) for t in values.get("triggers", ()))
    return Decision(**values)


def check_from_json(recorded: Mapping[str, Any]) -> CheckResult:
    """A check's recorded verdict and evidence (its model calls are in the ledger, not here)."""
    return CheckResult(recorded["name"], Verdict(recorded["verdict"]), tuple(recorded.get("evidence", ())))


def handoff_from_json(recorded: Mapping[str, Any]) -> Handoff:
    """The handoff package as the review queue recorded it."""
    known = {f.name for f in dataclasses.fields(Handoff)}
    values = {k: v for k, v in recorded.items() if k in known}
    values["tried"] = tuple(values.get("tried", ()))
    return Handoff(**values)
