"""A model that drafts replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision
from ticketflow.domain.draft import Draft
from ticketflow.domain.message import Ticket


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """Everything a provider needs: the static prefix (cacheable), the variable part, and the facts."""

    system: str
    prompt: str
    ticket: Ticket
    decision: Decision
    context: ContextPack
    feedback: tuple[str, ...] = field(default=())
    attempt: int = 1
    max_output_tokens: int = 400


class Provider(Protocol):
    """A model that drafts a structured reply for a prepared request (``name`` goes into the log)."""

    name: str

    def generate(self, request: GenerationRequest) -> Draft:
        """Draft a structured reply; raise ``ProviderError`` when no usable result can be had."""
        ...
