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
    """The generation stage: the prompt (personal data masked where the customer wrote), one provider
    call, the placeholders put back."""

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
        # routing marks a language the workspace does not serve with a ``language`` trigger
        foreign = decision.language if any(t.id == "language" for t in decision.triggers) else None
        prompt = build_user_prompt(context, feedback, foreign)
        masked = mask_customer_text(self.masker, prompt, context) if self.masker else None
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
            placeholders = tuple(p for p, _ in prepared.masked.placeholders)
            reply = self.masker.unmask(draft.reply, prepared.masked)
            return dataclasses.replace(draft, reply=reply, masked=placeholders)
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


_MARK = "\ue000"
"""Stands in for a published block while the rest is masked: a private-use character, which no recognizer
reads as part of a value (it is neither a word character nor a digit, space or punctuation they accept)."""
_MIN_BLOCK = 40


def mask_customer_text(masker: PiiMasker, prompt: str, context: ContextPack) -> MaskedText:
    """``prompt`` masked, except the company's own policies and articles quoted in it.

    Those are ours and published, and they are most of the prompt: searching them cost most of the time
    masking took, and could only find our own contact details (which stay readable anyway). Each one is
    replaced by a mark, the rest (the customer's message, subject, history, account and earlier tickets,
    the section labels) is masked in one call, so a value gets one placeholder throughout, and the quoted
    text is put back. If the marks did not survive masking intact, the whole prompt is masked instead.
    """
    blocks = _published_blocks(prompt, context)
    if not blocks or _MARK in prompt:
        return masker.mask(prompt, _known(context))
    parts: list[str] = []
    cursor = 0
    for start, end in blocks:
        parts.append(prompt[cursor:start])
        cursor = end
    parts.append(prompt[cursor:])
    masked = masker.mask(_MARK.join(parts), _known(context))
    pieces = masked.text.split(_MARK)
    if len(pieces) != len(blocks) + 1:
        return masker.mask(prompt, _known(context))
    out = [pieces[0]]
    for (start, end), piece in zip(blocks, pieces[1:], strict=True):
        out += [prompt[start:end], piece]
    return MaskedText("".join(out), masked.placeholders)


def _published_blocks(prompt: str, context: ContextPack) -> list[tuple[int, int]]:
    """Where the quoted policy and passage texts are in ``prompt``: whole lines, in order, not overlapping.

    Any verbatim copy of a published text holds only what the company published, wherever it stands.
    """
    found: list[tuple[int, int]] = []
    # each text with the line the context stage heads it with, "[id] title": published too ("Connect
    # Stripe", a heading, was masked as a person's name)
    quoted = {p.text.strip(): f"[{p.id}] {p.title}\n" for p in context.policies}
    quoted |= {p.text.strip(): f"[{p.source_id}] {p.title}\n" for p in context.passages}
    for text, header in sorted(quoted.items()):
        if len(text) < _MIN_BLOCK:
            continue
        at = prompt.find(text)
        while at >= 0:
            end = at + len(text)
            if (at == 0 or prompt[at - 1] == "\n") and (end == len(prompt) or prompt[end] == "\n"):
                headed = prompt[:at].endswith(header) and (
                    at == len(header) or prompt[at - len(header) - 1] == "\n"
                )
                found.append((at - len(header) if headed else at, end))
                break
            at = prompt.find(text, at + 1)
    found.sort()
    kept: list[tuple[int, int]] = []
    for start, end in found:
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


def _known(context: ContextPack) -> tuple[str, ...]:
    """The customer's own values on file: full name, each part of it, email, phone and postal address."""
    c = context.customer
    if c is None:
        return ()
    facts = dict(c.facts)
    address = [facts.get(k, "") for k in ("address", "street", "postcode", "postal_code", "zip")]
    values = (c.name, *c.name.split(), c.email, facts.get("phone", ""), *address)
    return tuple(v for v in values if len(v) > 2)
