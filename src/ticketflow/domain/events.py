"""A conversation's events, as the server-sent event stream carries them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ConversationEvent:
    """One thing that happened in a conversation: a customer ``message``, a ticket's ``outcome``, or a
    ``delivery`` that was sent or failed. ``id`` is stable, so a client resumes after the last one it saw."""

    id: str
    event: str
    at: datetime
    data: dict[str, Any]
