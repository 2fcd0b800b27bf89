"""Alerts' ports: the figures rules are measured on, where rule states live, and who is told.

The evaluator (``runtime.alerts``) reads figures through :class:`OpsFigures` (never SQL of its own), moves
states through :class:`AlertStore`, and sends each event through every :class:`Notifier`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ticketflow.domain.alerts import AlertEvent, AlertState, BacklogFigures, ModelFigures, TicketFigures


class OpsFigures(Protocol):
    """Windowed figures of the store: tickets finished, model calls, the backlog, today's spend."""

    def tickets(self, since: datetime) -> TicketFigures:
        """The tickets finished since ``since``: outcomes, ledger cost, failed checks."""
        ...

    def models(self, since: datetime) -> ModelFigures:
        """The model attempts journaled and the calls ledgered since ``since``."""
        ...

    def backlog(self, now: datetime) -> BacklogFigures:
        """The tickets accepted and not finished at ``now``, and the age of the oldest."""
        ...

    def spent_today(self) -> float:
        """Dollars charged since midnight UTC (the daily budget's figure)."""
        ...


class AlertStore(Protocol):
    """Each rule's state and the events of its moves (one per rule, firing number and kind)."""

    def states(self) -> dict[str, AlertState]:
        """Every rule's stored state, by rule name."""
        ...

    def advance(self, previous: AlertState, new: AlertState, event: AlertEvent | None) -> bool:
        """Replace ``previous`` by ``new`` (and record ``event``) if ``previous`` is still what is stored;
        False, and nothing written, when another evaluator moved the rule first."""
        ...

    def pending(self) -> list[AlertEvent]:
        """Events not yet notified, oldest first."""
        ...

    def notified(self, event: AlertEvent, outcome: str) -> None:
        """Record that ``event`` was handed to the notifiers, with what each said."""
        ...

    def events(self, limit: int = 50) -> list[tuple[AlertEvent, str | None]]:
        """The latest events, newest first, each with its notification outcome (None: pending)."""
        ...


class Notifier(Protocol):
    """Tells people about an alert event (Slack, email, a signed webhook)."""

    name: str

    def send(self, event: AlertEvent) -> None:
        """Deliver ``event``; raise ``ChannelUnavailable`` to be retried, ``DeliveryRefused`` to give up."""
        ...
