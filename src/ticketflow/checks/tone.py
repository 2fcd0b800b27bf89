"""Tone and brand: no phrase the brand voice bans, no robotic boilerplate, no blame or condescension, and an
acknowledgement when the customer is upset.

"Upset" is routing's tone score (``Decision.tone``) at or above ``upset_at``, or plain words of frustration
in the message ("still waiting", "disappointed"); an acknowledgement is a sentence that owns the problem
("sorry", "we got this wrong", "that's frustrating").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.ports.check import CheckInput

_BOILERPLATE = (
    "as an ai",
    "as a language model",
    "we value your business",
    "your satisfaction is our top priority",
    "your satisfaction is our priority",
    "rest assured",
    "at your earliest convenience",
    "do not hesitate to contact",
    "don't hesitate to contact",
    "we apologize for any inconvenience",
    "sorry for any inconvenience caused",
    "thank you for contacting customer support",
    "we appreciate your patience",
    "please find below",
    "hereby",
    "the aforementioned",
    "we are committed to providing",
    "i hope this email finds you well",
    "i hope this message finds you well",
)
_BLAME = re.compile(
    r"\b(you should have|you shouldn't have|you failed to|you forgot to|you didn't (read|follow|check)|"
    r"you must have|if you had (read|followed|checked)|it's your (fault|responsibility|own)|"
    r"(that|this) is your (fault|problem)|as (i|we) (already|clearly) (said|stated|explained)|"
    r"as (clearly )?stated (above|before|in our)|obviously|clearly you|calm down|you need to understand|"
    r"simply read|read (the|our) (policy|faq|instructions) (next time|properly|carefully)|user error|"
    r"you waited too long|not our (problem|fault)|nothing (we|i) can do|we cannot be held responsible)\b",
    re.IGNORECASE,
)
_UPSET = re.compile(
    r"\b(frustrat\w*|disappoint\w*|annoy\w*|upset|angry|unhappy|not happy|fed up|still waiting|"
    r"(second|third|fourth) time|again\?|no one (has )?(replied|answered|helped)|nobody (replied|helped)|"
    r"ridiculous|unacceptable|terrible|awful|worst|furious|livid)\b",
    re.IGNORECASE,
)
_ACK = re.compile(
    r"\b(sorry|apologi[sz]e|apologies|frustrat\w*|disappoint\w*|annoying|we got (this|that|it) wrong|"
    r"not good enough|understand|hear you|not the experience|shouldn't have happened|that's on us|"
    r"our mistake|must have been)\b",
    re.IGNORECASE,
)


class ToneBrand:
    """The ``tone`` check: fail the voice's ``banned_phrases``, robotic boilerplate, blame or condescension.

    It also fails a reply that does not acknowledge an upset customer: a routed tone at or above ``upset_at``,
    or words of frustration in the message.
    """

    name = "tone"

    def __init__(self, banned_phrases: Iterable[str] = (), upset_at: float = 0.25) -> None:
        self._banned = tuple(p.lower() for p in banned_phrases if p.strip())
        self._upset_at = upset_at

    def run(self, subject: CheckInput) -> CheckResult:
        reply = subject.draft.reply
        if not reply.strip():
            return CheckResult(self.name, Verdict.PASS, ())
        lowered = " ".join(reply.lower().replace("’", "'").split())
        problems = [f"banned by voice.md: {p!r}" for p in self._banned if p in lowered]
        problems += [f"robotic boilerplate: {p!r}" for p in _BOILERPLATE if p in lowered]
        problems += [f"blames or talks down: {m.group(0)!r}" for m in _BLAME.finditer(reply)]
        upset = _UPSET.search(subject.ticket.text)
        if (subject.decision.tone >= self._upset_at or upset) and not _ACK.search(reply):
            why = f"tone {subject.decision.tone:.2f}" + (f", {upset.group(0)!r}" if upset else "")
            problems.append(f"the customer is upset ({why}) and the reply does not acknowledge it")
        if problems:
            return CheckResult(self.name, Verdict.FAIL, tuple(problems))
        return CheckResult(self.name, Verdict.PASS, ())
