"""Generation: ask the provider for a structured reply to a routed, contextualised ticket."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision
from ticketflow.domain.draft import Draft
from ticketflow.domain.message import Ticket
from ticketflow.pipeline.generation.prompt import build_user_prompt
from ticketflow.ports.pii import MaskedText, PiiMasker
from ticketflow.ports.provider import GenerationRequest, Provider

log = logging.getLogger("ticketflow.generation")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A request ready for a provider, kept (and checkpointed) while a batched result is awaited."""

    request: GenerationRequest
    masked: MaskedText | None = None


class Generator:
    def __init__(
        self,
        provider: Provider,
        system_prompt: str,
        max_output_tokens: int = 400,
        masker: PiiMasker | None = None,
    ) -> None:
        self._provider = provider
        self.system_prompt = system_prompt
        self._max_output = max_output_tokens
        self.masker = masker
        """When set, personal data in the prompt is replaced by placeholders before the provider sees it."""

    def prepare(
        self,
        ticket: Ticket,
        decision: Decision,
        context: ContextPack,
        feedback: tuple[str, ...] = (),
        attempt: int = 1,
    ) -> Prepared:
        """The provider request for a ticket (personal data masked), and how to undo the masking."""
        prompt = build_user_prompt(context, feedback)
        masked = self.masker.mask(prompt, _known(context)) if self.masker else None
        if masked is not None:
            prompt = masked.text
        request = GenerationRequest(
            system=self.system_prompt,
            prompt=prompt,
            ticket=ticket,
            decision=decision,
            context=context,
            feedback=feedback,
            attempt=attempt,
            max_output_tokens=self._max_output,
        )
        return Prepared(request, masked)

    def finish(self, prepared: Prepared, draft: Draft) -> Draft:
        """The provider's draft with the placeholders put back, so the checks see what the customer would."""
        if prepared.masked is not None and self.masker is not None:
            return dataclasses.replace(draft, reply=self.masker.unmask(draft.reply, prepared.masked))
        return draft

    def run(
        self,
        ticket: Ticket,
        decision: Decision,
        context: ContextPack,
        feedback: tuple[str, ...] = (),
        attempt: int = 1,
    ) -> Draft:
        prepared = self.prepare(ticket, decision, context, feedback, attempt)
        log.info("model call ticket=%s attempt=%d provider=%s", ticket.id, attempt, self._provider.name)
        return self.finish(prepared, self._provider.generate(prepared.request))


def _known(context: ContextPack) -> tuple[str, ...]:
    """The customer's own values on file: full name, each part of it, email and phone."""
    c = context.customer
    if c is None:
        return ()
    facts = dict(c.facts)
    return tuple(v for v in (c.name, *c.name.split(), c.email, facts.get("phone", "")) if len(v) > 2)
