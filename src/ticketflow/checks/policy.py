"""Policy and promises: no refund, guarantee, free item, compensation or deadline that the quoted policy does
not back, and no promise of an action the system cannot take ("I'll call you", "I've escalated this").

A commitment is backed when its sentence restates the context: most of its content words appear in one
sentence of the policies or passages given to the drafter, and any figure in it ("within 2 hours") appears
there too. Claims of escalation are allowed only when the draft really hands off.
"""

from __future__ import annotations

import re

from ticketflow.checks._text import sentences, stems
from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.decision import Route
from ticketflow.domain.prose import prose_sentences
from ticketflow.ports.check import CheckInput

_COMMITMENT = re.compile(
    r"\b(refund(s|ed|ing)?|money back|reimburs\w*|guarantee[sd]?|promise[sd]?|free|"
    r"complimentary|on us|no charge|at no cost|"
    r"compensat\w*|voucher|coupon|discount|goodwill|store credit|credit (your|you)|waive[sd]?|"
    r"within \d+\s*(minutes?|hours?|days?|business days?|working days?|weeks?)|by (tomorrow|tonight|"
    r"end of (the )?day|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|same[- ]day|"
    r"right away|immediately|straight away|today)\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
_ACTIONS = re.compile(
    r"\b(i|we)('ll| will| am going to|'m going to| shall) (give you a )?(call|ring|phone|text|visit|"
    r"personally|email you (back )?(tomorrow|later|tonight|in)|send (you )?(a )?(technician|courier)|"
    r"pick (it|them) up|collect (it|them) (today|tomorrow))\b"
    r"|\b(i|we)('ve| have) (already )?(escalated|forwarded|passed|handed|referred|flagged|raised|sent) "
    r"(this|it|your|the)\b"
    r"|\b(i|we)('ve| have) (already )?(issued|processed|approved|initiated|refunded|credited|cancelled|"
    r"canceled|changed|updated|reset|deleted|closed|reshipped|replaced)\b"
    r"|\b(a|our) (manager|supervisor|specialist|colleague|human|agent|team lead) will "
    r"(call|contact|phone|reach out|get back|email)\b",
    re.IGNORECASE,
)
_ESCALATION_CLAIM = re.compile(r"escalat|forward|pass|hand|refer|flagg|rais|transfer|colleague|human|agent")


def _backed(sentence: str, promise: str, policy_sentences: list[tuple[set[str], str]], source: str) -> bool:
    if promise.lower().startswith("within ") and " ".join(promise.lower().split()) not in source:
        return False
    if not set(_FIGURE.findall(sentence)) <= set(_FIGURE.findall(source)):
        return False
    words = set(stems(sentence))
    if not words:
        return True
    # A reply may merge two neighbouring policy sentences into one.
    windows = [
        a | b for (a, _), (b, _) in zip(policy_sentences, [*policy_sentences[1:], (set(), "")], strict=True)
    ]
    # The commitment's own words ("free", "refund", "no charge") must be in the policy it restates.
    needed = set(stems(promise))
    best = max((len(words & w) / len(words) for w in windows if needed <= w), default=0.0)
    return best >= 0.6


class PolicyPromises:
    """The ``policy`` check: fail a commitment no quoted policy backs, or a promise the system cannot keep.

    A commitment is a refund, a free item, compensation or a deadline; an action only a person could take
    ("I'll call you") is a promise the system cannot keep. A claim of escalation ("I've passed this on") is
    allowed when the ticket really is handed off.
    """

    name = "policy"

    def run(self, subject: CheckInput) -> CheckResult:
        draft = subject.draft
        if not draft.reply:
            return CheckResult(self.name, Verdict.PASS, ())
        texts = [p.text for p in subject.context.policies] + [p.text for p in subject.context.passages]
        source = "\n\n".join(texts)
        lowered = " ".join(source.lower().split())
        policy_sentences = [(set(stems(s)), s) for s in prose_sentences(source)]
        handing_off = draft.action == "escalate" or subject.decision.route is Route.ESCALATE
        problems: list[str] = []
        for sentence in sentences(draft.reply):
            action = _ACTIONS.search(sentence)
            if action is not None:
                if handing_off and _ESCALATION_CLAIM.search(action.group(0).lower()):
                    continue  # "I've passed this on" is true: the ticket is handed off
                if not _backed(sentence, "", policy_sentences, lowered):
                    problems.append(f"promises an action the system cannot take: {action.group(0)!r}")
                    continue
            for promise in _COMMITMENT.finditer(sentence):
                if not _backed(sentence, promise.group(0), policy_sentences, lowered):
                    problems.append(
                        f"commitment not backed by the policy: {promise.group(0)!r} in {sentence!r}"
                    )
                    break
        if problems:
            return CheckResult(self.name, Verdict.FAIL, tuple(problems))
        return CheckResult(self.name, Verdict.PASS, ())
