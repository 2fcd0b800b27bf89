"""Generation: ask the provider for a structured reply to a routed, contextualised ticket."""

from __future__ import annotations

import logging

from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision
from ticketflow.domain.draft import Draft
from ticketflow.domain.message import Ticket
from ticketflow.pipeline.prompt import build_user_prompt
from ticketflow.ports.provider import GenerationRequest, Provider

log = logging.getLogger("ticketflow.generation")


class Generator:
    def __init__(self, provider: Provider, system_prompt: str, max_output_tokens: int = 400) -> None:
        self._provider = provider
        self.system_prompt = system_prompt
        self._max_output = max_output_tokens

    def run(
        self,
        ticket: Ticket,
        decision: Decision,
        context: ContextPack,
        feedback: tuple[str, ...] = (),
        attempt: int = 1,
    ) -> Draft:
        request = GenerationRequest(
            system=self.system_prompt,
            prompt=build_user_prompt(context, feedback),
            ticket=ticket,
            decision=decision,
            context=context,
            feedback=feedback,
            attempt=attempt,
            max_output_tokens=self._max_output,
        )
        log.info("model call ticket=%s attempt=%d provider=%s", ticket.id, attempt, self._provider.name)
        return self._provider.generate(request)
