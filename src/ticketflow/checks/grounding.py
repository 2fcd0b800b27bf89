"""Grounding: every figure and every factual sentence of the reply must come from the context.

"The context" is everything the drafter was given (account, policies, passages, history) plus the
customer's own message. Two tests:

- *Figures*: numbers, prices, dates, links, email addresses and order ids must appear in the context.
  Figures are compared after normalising separators (``4,95`` = ``4.95``).
- *Claims*: a sentence that states something (not a greeting, thanks, apology or "that isn't in our
  documentation") and has two content words or more must be made of words found in the context: with
  less than three quarters of its content words there, it is an unsupported claim (a feature, a policy
  term or a promise the context does not hold).
"""

from __future__ import annotations

import re

from ticketflow.checks._text import is_glue, sentences, stems
from ticketflow.domain.checks import CheckResult, Verdict
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


def figures(text: str) -> set[str]:
    """Every figure in ``text`` (numbers, prices, dates, links, emails, ids), normalised for comparison.

    ``4,95`` and ``4.95`` are one figure, as are ``1,000`` and ``1000``.
    """
    return {_norm(m.group(0)) for m in _FIGURE.finditer(text) if _norm(m.group(0))}


def unsupported_claims(reply: str, source: str, min_support: float = 0.75) -> list[str]:
    """Sentences of ``reply`` that state something ``source`` does not support, each with its new words."""
    known = set(stems(source)) | _EXTRA_STOP
    found = []
    for sentence in sentences(reply):
        if is_glue(sentence):
            continue
        # Figures are checked on their own; everyday words ("see", "order") carry no claim.
        words = [w for w in stems(_FIGURE.sub(" ", sentence)) if w not in _EXTRA_STOP]
        if len(words) < 2:  # "See the link for details." states nothing the figures do not
            continue
        novel = sorted({w for w in words if w not in known})
        support = 1 - sum(1 for w in words if w not in known) / len(words)
        if support < min_support:
            found.append(f"unsupported: {sentence[:120]!r} (new: {', '.join(novel[:6])})")
    return found


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
        allowed = figures(source)
        missing = sorted(f for f in figures(subject.draft.reply) if f not in allowed)
        known_amounts = amounts(source)
        missing += sorted(
            f"{n} {u}" for n, u in amounts(subject.draft.reply) - known_amounts if n not in missing
        )
        evidence = list(missing)  # the figures themselves, so the regeneration can drop them
        evidence += unsupported_claims(subject.draft.reply, source)
        if evidence:
            return CheckResult(self.name, Verdict.FAIL, tuple(evidence))
        return CheckResult(self.name, Verdict.PASS, ())
