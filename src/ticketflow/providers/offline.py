"""The embedded default provider: an extractive drafter that needs no network and no key.

It composes a reply from the retrieved passages (the sentences that best match the question, between a
brand-voice opener and closer) and escalates with ``no_answer`` when retrieval found nothing good enough.
It reports what the configured Claude models *would* have charged for the same prompt, marked ``projected``.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time

from ticketflow.domain.draft import Action, Draft, Usage
from ticketflow.domain.pricing import PRICED_MODELS, cost_usd, price_of
from ticketflow.domain.tokens import estimate_tokens
from ticketflow.ports.provider import GenerationRequest

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+")
_MARKUP = re.compile(r"^\s*(?:[-*]|\d+\.)\s+|\*\*|__|`")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "please",
        "hi",
        "hello",
        "thanks",
        "thank",
        "want",
        "need",
        "would",
        "could",
    ]
)
_JSON_OVERHEAD_TOKENS = 40


def _terms(text: str) -> set[str]:
    return {w[:6] for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


class OfflineDrafter:
    """The embedded provider: an extractive reply from the best passages, no network; the cost Claude would
    have charged is reported as a projection."""

    name = "offline"

    def __init__(
        self,
        *,
        company: str,
        model: str,
        min_score: float = 0.5,
        max_sentences: int = 3,
        latency_ms: float = 0.0,
    ) -> None:
        self._company = company
        self._model = model
        self._min_score = min_score
        self._max_sentences = max_sentences
        self._latency_s = latency_ms / 1000.0
        self._warm: set[str] = set()
        self._lock = threading.Lock()

    def generate(self, request: GenerationRequest) -> Draft:
        started = time.perf_counter()
        if self._latency_s:
            time.sleep(self._latency_s)
        reply, sources, confidence = self._compose(request)
        action: Action = "reply" if reply else "escalate"
        output = estimate_tokens(reply) + _JSON_OVERHEAD_TOKENS
        prefix = estimate_tokens(request.system)
        variable = estimate_tokens(request.prompt)
        elapsed = (time.perf_counter() - started) * 1000
        attempt = request.attempt
        projections = tuple(self._project(m, prefix, variable, output, attempt) for m in PRICED_MODELS)
        usage = dataclasses.replace(
            self._project(self._model, prefix, variable, output, request.attempt),
            latency_ms=round(elapsed, 3),
            stop_reason="end_turn",
        )
        return Draft(
            reply=reply,
            action=action,
            escalation_reason=None if reply else "no_answer",
            cited_sources=sources,
            confidence=confidence,
            usage=(usage,),
            attempt=request.attempt,
            projections=projections,
        )

    def _project(self, model: str, prefix: int, variable: int, output: int, attempt: int) -> Usage:
        """What ``model`` would report and charge, caching included: like the API, a static prefix at least
        the model's minimum cacheable length is written to the cache by the first call and read by later
        ones (a long-running process keeps it warm; the 5-minute TTL is not modelled); a shorter one is
        never cached."""
        price = price_of(model)
        cacheable = price is not None and prefix >= price.min_cacheable_tokens
        write = read = 0
        if cacheable:
            with self._lock:
                warm = model in self._warm
                self._warm.add(model)
            write, read = (0, prefix) if warm else (prefix, 0)
        uncached = variable if cacheable else prefix + variable
        return Usage(
            model=model,
            input_tokens=uncached,
            output_tokens=output,
            cache_creation_input_tokens=write,
            cache_read_input_tokens=read,
            cost_usd=cost_usd(
                model,
                input_tokens=uncached,
                output_tokens=output,
                cache_write_tokens=write,
                cache_read_tokens=read,
            ),
            projected=True,
            attempt=attempt,
        )

    def _compose(self, request: GenerationRequest) -> tuple[str, tuple[str, ...], float]:
        passages = [p for p in request.context.passages if p.word_score >= self._min_score]
        if not passages:
            return "", (), 0.0
        question = _terms(request.ticket.text)
        if request.decision.intent:
            question |= _terms(request.decision.intent.replace("_", " "))
        banned = {f.split(": ", 1)[-1].lower() for f in request.feedback}
        scored: list[tuple[float, int, str, str]] = []
        order = 0
        for rank, passage in enumerate(passages[:2]):
            for raw in _SENTENCE.split(passage.text):
                sentence = _MARKUP.sub("", raw).strip()
                if len(sentence) < 20 or sentence.endswith(":"):
                    continue
                if any(b and b in sentence.lower() for b in banned):
                    continue
                overlap = len(question & _terms(sentence))
                if overlap:
                    scored.append((overlap - 0.5 * rank, order, sentence, passage.source_id))
                order += 1
        if not scored:
            return "", (), 0.0
        best = sorted(scored, key=lambda s: -s[0])[: self._max_sentences]
        best.sort(key=lambda s: s[1])
        body = " ".join(s if s[-1] in ".!?" else f"{s}." for _, _, s, _ in best)
        customer = request.context.customer
        greeting = f"Hi {customer.first_name}," if customer and customer.first_name else "Hi there,"
        reply = (
            f"{greeting}\n\nThanks for getting in touch. {body}\n\n"
            "If anything is still unclear, just reply to this message and we'll help.\n\n"
            f"The {self._company} team"
        )
        sources = tuple(dict.fromkeys(s for _, _, _, s in best))
        lexical = passages[0].word_score
        confidence = min(1.0, lexical / (lexical + 2.0) + 0.1 * len(best))
        return reply, sources, round(confidence, 3)
