"""Grounding: every figure and every factual sentence of the reply must come from the context.

"The context" is everything the drafter was given (account, policies, passages, history) plus the
customer's own message. Two tests:

- *Figures*: numbers, prices, dates, links, email addresses and order ids must appear in the context.
  Figures are compared after normalising separators (``4,95`` = ``4.95``).
- *Claims*: each sentence that states something (not a greeting, thanks, apology or "that isn't in our
  documentation") and has two claim words or more is judged on its own: with less than three quarters
  of its claim words in the context, it is an unsupported claim (a feature, a policy term or a promise
  the context does not hold). Claim words are content words cut to six letters, short words and
  numbers included. A supported claim is also checked for polarity: when every context sentence that
  holds its words says the opposite ("not refundable" against "refundable"), it contradicts the context.
  A reply made only of sentences too short to judge is judged as one claim.

:func:`support_score` gives the same judgement as a number (the weakest claim's support), which the
evaluation cross-validates; the measurements are in docs/benchmarks.md ("Grounding: claims, numbers and
negation").
"""

from __future__ import annotations

import re

from ticketflow.checks._text import STOP, WORD, is_glue, sentences, stems
from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.numbers import NUMBER_WORDS
from ticketflow.domain.prose import prose_sentences
from ticketflow.ports.check import CheckInput

_FIGURE = re.compile(
    r"https?://\S+|www\.\S+"  # links
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # email addresses
    r"|\b[a-z][\w-]*\.(?:com|org|net|io|co|example|shop|store)(?:/[\w/.-]*)?"  # bare domains and paths
    r"|\b[A-Z]{2,}-\d{3,}\b"  # ids such as NW-100234
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?\b"
    r"|\d+(?:[.,]\d+)*",  # numbers, prices, dates' parts
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]'\""
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_ORDINAL = re.compile(r"(\d)(?:st|nd|rd|th)\b")
_EXTRA_STOP = frozenset(
    stems(
        "get got need able sure know like want see look make help way thing happy glad course right still "
        "yes okay great good next step steps once after before again back there here choose per policy "
        "order orders account item items"
    )
)


def _norm(figure: str) -> str:
    """``1,000`` → ``1000`` (thousands), ``4,95`` → ``4.95`` (decimal comma); everything lower-cased."""
    figure = _ORDINAL.sub(r"\1", figure.rstrip(_TRAILING))
    if _THOUSANDS.fullmatch(figure):
        return figure.replace(",", "")
    return figure.replace(",", ".").lower()


_UNIT = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(business days?|working days?|days?|hours?|minutes?|weeks?|months?|years?|"
    r"eur|usd|%|units?|items?)\b",
    re.IGNORECASE,
)


def amounts(text: str) -> set[tuple[str, str]]:
    """Figures with their unit (``7 days``, ``4.95 eur``): a real figure with the wrong unit is invented."""
    return {(_norm(n), u.lower().rstrip("s")) for n, u in _UNIT.findall(text)}


_NUMBER_WORDS = {word: str(value) for value, word in enumerate(NUMBER_WORDS)}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def spelled_out(source: str) -> str:
    """``source`` with its numbers written as words also given as digits ("two awards" → "2 awards"), so a
    reply may write as figures what the context spells out. Only the context is read this way: a reply's
    "one of our team" is no figure.
    """
    return _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], source)


def figures(text: str) -> set[str]:
    """Every figure in ``text`` (numbers, prices, dates, links, emails, ids), normalised for comparison.

    ``4,95`` and ``4.95`` are one figure, as are ``1,000`` and ``1000``.
    """
    return {_norm(m.group(0)) for m in _FIGURE.finditer(text) if _norm(m.group(0))}


MIN_SUPPORT = 0.75
"""A claim with less than this share of its words in the context is unsupported."""
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|nobody|neither|nor|cannot|without)\b|n't\b", re.IGNORECASE
)
CLAIM_STOP = STOP | {"nobody", "neither", "nor", "cannot", "never", "none", "nothing"}


def claim_words(text: str) -> list[str]:
    """The words a claim is made of, cut to six letters: two-letter words and numbers count ("tv", "uk",
    "86"), since a claim about them is a claim. Function words, negations (judged apart, see
    :func:`negated`) and everyday support words ("see", "order", "account") are left out: they state nothing.
    """
    words = (w for w in WORD.findall(text.lower()) if w not in CLAIM_STOP and not _NEGATION.search(w))
    return [w[:6] for w in words if (len(w) > 1 or w.isdigit()) and w[:5] not in _EXTRA_STOP]


def negated(sentence: str) -> bool:
    """Whether ``sentence`` denies something ("not", "never", "can't", "without")."""
    return _NEGATION.search(sentence) is not None


def _support(words: list[str], known: set[str]) -> float:
    return sum(w in known for w in words) / len(words) if words else 1.0


def _contradicted(sentence: str, words: list[str], source_sentences: list[tuple[bool, set[str]]]) -> bool:
    """Every source sentence that holds the claim's words says the opposite: one of the two is negated and
    the other is not ("gift cards are refundable" against "gift cards are not refundable").
    """
    holding = [neg for neg, known in source_sentences if _support(words, known) >= 0.75]
    return bool(holding) and negated(sentence) not in holding


def _claims(reply: str, source: str) -> list[tuple[float, str]]:
    """Each judged claim of ``reply`` with its support (0 for a contradiction) and the evidence naming it."""
    known = set(claim_words(source))
    source_sentences: list[tuple[bool, set[str]]] = []  # split only when a claim is supported
    claims, short = [], []
    for sentence in sentences(reply):
        if is_glue(sentence):
            continue
        words = claim_words(_FIGURE.sub(" ", sentence))  # figures are checked on their own
        if len(words) < 2:
            short += words
            continue
        novel = ", ".join(sorted({w for w in words if w not in known})[:6])
        support = _support(words, known)
        if support >= MIN_SUPPORT and not source_sentences:
            source_sentences = [(negated(s), set(claim_words(s))) for s in prose_sentences(source)]
        if support >= MIN_SUPPORT and _contradicted(sentence, words, source_sentences):
            claims.append((0.0, f"contradicts the context: {sentence[:120]!r}"))
        else:
            claims.append((support, f"unsupported: {sentence[:120]!r} (new: {novel})"))
    if not claims and len(short) >= 2:  # "Lovely weather. Great films." is judged as one claim
        novel = ", ".join(sorted(set(short) - known)[:6])
        claims.append((_support(short, known), f"unsupported: {reply[:120]!r} (new: {novel})"))
    return claims


def unsupported_claims(reply: str, source: str, min_support: float = MIN_SUPPORT) -> list[str]:
    """Sentences of ``reply`` that state something ``source`` does not support, each with its new words.

    Each sentence that is not glue is judged on its own (one invented sentence fails the reply however
    well the rest is supported): under ``min_support`` of its claim words in the source, it is unsupported.
    It is also judged against the source sentences that hold its words, for negation: a claim whose
    polarity none of them shares is a contradiction. A reply whose sentences are all too short to judge
    one by one (under two claim words each) is judged as a whole when it has two or more in all, so
    "Lovely weather. Great films." is not waved through for being short.
    """
    return [evidence for support, evidence in _claims(reply, source) if support < min_support]


def support_score(reply: str, source: str) -> float:
    """How well ``source`` holds ``reply``, from 0 to 1: the support of its weakest claim, 0 when a figure
    is missing or a claim contradicts the source, 1 when it claims nothing. The check fails a reply under
    ``MIN_SUPPORT``; the evaluation uses the score itself to cross-validate that threshold.
    """
    spelled = spelled_out(source)  # holds every figure of ``source`` too
    allowed, known_amounts = figures(spelled), amounts(spelled)
    if any(f not in allowed for f in figures(reply)) or amounts(reply) - known_amounts:
        return 0.0
    return min((support for support, _ in _claims(reply, source)), default=1.0)


class GroundedFigures:
    """The ``grounding`` check: fail a reply with a figure or a factual sentence the context does not hold.

    An escalation or an empty reply passes, since it claims nothing. The missing figures themselves are the
    evidence, so the one regeneration knows what to drop.
    """

    name = "grounding"

    def run(self, subject: CheckInput) -> CheckResult:
        if subject.draft.action == "escalate" or not subject.draft.reply:
            return CheckResult(self.name, Verdict.PASS, ())
        source = "\n".join(
            [
                subject.context.grounding_text(),
                subject.context.rendered,  # the labels too ("order NW-100234: shipped")
                subject.ticket.text,
                *(t.text for t in subject.ticket.history),
            ]
        )
        spelled = spelled_out(source)  # holds every figure of ``source`` too
        allowed = figures(spelled)
        missing = sorted(f for f in figures(subject.draft.reply) if f not in allowed)
        known_amounts = amounts(spelled)
        missing += sorted(
            f"{n} {u}" for n, u in amounts(subject.draft.reply) - known_amounts if n not in missing
        )
        evidence = list(missing)  # the figures themselves, so the regeneration can drop them
        evidence += unsupported_claims(subject.draft.reply, source)
        if evidence:
            return CheckResult(self.name, Verdict.FAIL, tuple(evidence))
        return CheckResult(self.name, Verdict.PASS, ())
