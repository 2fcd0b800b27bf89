"""The embedded default provider: an extractive drafter that needs no network and no key.

It composes a reply from the retrieved passages (the sentences that best match the question, between a
brand-voice opener and closer) and escalates with ``no_answer`` when retrieval found nothing good enough.
When routing named no intent, the policy chosen by the message's content may answer instead of the best
passage: "is a chain covered by the warranty?" gets the warranty policy, not the chain-care article that
shares one of its words.
It reports what the configured Claude models *would* have charged for the same prompt, marked ``projected``.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time

from ticketflow.domain.draft import Action, Draft, Usage
from ticketflow.domain.numbers import NUMBER_WORDS
from ticketflow.domain.pricing import PRICED_MODELS, cost_usd, price_of
from ticketflow.domain.prose import prose_sentences
from ticketflow.domain.tokens import estimate_tokens
from ticketflow.ports.provider import GenerationRequest

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
_NUMBER_TERMS = frozenset(w[:6] for w in NUMBER_WORDS)


def _terms(text: str) -> set[str]:
    return {w[:6] for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def _singular(terms: set[str]) -> set[str]:
    """``terms`` without a plural ``s`` ("chains" meets "chain"): to judge which source answers, where a
    policy's "chains" must count for a question about a chain. Sentences are scored on ``_terms`` alone:
    there, "Account > Orders" would match every question about an order."""
    return {t[:-1] if len(t) > 3 and t.endswith("s") and not t.endswith("ss") else t for t in terms}


def _is_figure(term: str) -> bool:
    """A number, an id or a number word: it says how many or which, never what a question is about."""
    return term in _NUMBER_TERMS or any(c.isdigit() for c in term)


def _wanted(question: set[str]) -> set[str]:
    """The question's words that can say what it is about: plurals matched, figures and ids left out."""
    return {t for t in _singular(question) if not _is_figure(t)}


def _best_hold(text: str, question: set[str]) -> int:
    """How many of the question's words (``_wanted``) the best sentence of ``text`` holds."""
    wanted = _wanted(question)
    return max((len(wanted & _singular(_terms(s))) for s in prose_sentences(text)), default=0)


def _matching(text: str, question: set[str], banned: set[str]) -> list[tuple[str, set[str]]]:
    """The sentences of ``text`` that share words with ``question``, each with the words it shares; list
    lead-ins, fragments and sentences the feedback banned are left out, and so is a sentence that shares
    only figures ("two weeks after the repair" is not answered by "a service takes two working days")."""
    found = []
    for raw in prose_sentences(text):
        sentence = _MARKUP.sub("", raw).strip()
        if len(sentence) < 20 or sentence.endswith(":") or any(b and b in sentence.lower() for b in banned):
            continue
        matched = question & _terms(sentence)
        if any(not _is_figure(t) for t in matched):
            found.append((sentence, matched))
    return found


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
        by_content = request.decision.intent is None  # the pack's policies were chosen by the message's words
        if not passages and not (by_content and request.context.policies):
            return "", (), 0.0
        question = _terms(request.ticket.text)
        if request.decision.intent:
            question |= _terms(request.decision.intent.replace("_", " "))
        banned = {f.split(": ", 1)[-1].lower() for f in request.feedback}
        sources = [(p.source_id, p.text) for p in passages[:2]]
        found = [_matching(text, question, banned) for _, text in sources]
        # With no intent named, the policies in the pack were chosen by this message's words, as the
        # passages were: one answers instead when its best sentence holds two or more of the question's
        # words and more than the best passage's ("is a chain covered by the warranty?" against the
        # chain-care article), or, with no passage good enough, at least half of them. One shared word is no
        # sign ("where is my order?" is not answered by "send your order number to claim"). A policy named
        # by the intent applies to every ticket of it; retrieval chose the passage for this one.
        lead = max(1, _best_hold(sources[0][1], question) if sources else (len(_wanted(question)) - 1) // 2)
        for policy in request.context.policies if by_content else ():
            quoted = _matching(policy.text, question, banned)
            if quoted and _best_hold(policy.text, question) > lead:
                sources.insert(0, (policy.id, policy.text))
                found.insert(0, quoted)
                break
        scored = [  # (score, where it stands: source then sentence, sentence, source id)
            (len(matched) - 0.5 * rank, (rank, n), sentence, sources[rank][0])
            for rank, sentences in enumerate(found[:2])
            for n, (sentence, matched) in enumerate(sentences)
        ]
        if not scored:
            return "", (), 0.0
        # A sentence sharing one word with the question rides along with the one that answers it ("taxes
        # can be added per line" beside the price of a seat): each kept sentence shares at least half as
        # many of the question's words as the best one does.
        shares = {sentence: len(matched) for sentences in found[:2] for sentence, matched in sentences}
        scored = [s for s in scored if 2 * shares[s[2]] >= max(shares.values())]
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
        cited = tuple(dict.fromkeys(source for _, _, _, source in best))
        lexical = passages[0].word_score if passages else 0.0
        confidence = min(1.0, lexical / (lexical + 2.0) + 0.1 * len(best))
        return reply, cited, round(confidence, 3)
