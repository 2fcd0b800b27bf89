"""Injection echo: the reply must not follow instructions smuggled into the customer's text.

It fails when the reply contains code, text of the system prompt, a change of role ("as DAN", "developer
mode"), off-topic content (poems, jokes, recipes, essays), a link that the context does not hold (a reply
points customers only where the company's own texts do), or copies a long run of words from a message that
routing marked as a suspected injection.
"""

from __future__ import annotations

import re

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.ports.check import CheckInput

_SIGNS = (
    (
        "code",
        re.compile(
            r"```|<script\b|\bdef \w+\(|^\s*(import|from) \w+|\bfunction \w*\(|"
            r"\bSELECT [\w*, ]+ FROM \w+|\bconsole\.log\(|#include\b|\bprint\(|\w+\(\);",
            re.MULTILINE,
        ),
    ),
    (
        "system prompt",
        re.compile(
            r"\b(my|the) (system prompt|instructions say|hidden instructions|"
            r"initial instructions)|customer message \(data|\bcited_sources\b|"
            r"\bRELEVANT POLICY:|\bCUSTOMER ACCOUNT:|you are the customer-support "
            r"assistant|i (was|have been) (instructed|told) to",
            re.IGNORECASE,
        ),
    ),
    (
        "change of role",
        re.compile(
            r"\b(as (dan|an unrestricted|a pirate|your new)|developer mode|jailbreak|"
            r"i am (now|no longer) (a|an|the)|i('m| am) now (dan|free|unrestricted)|"
            r"(ignoring|ignore) (my|all|previous) (previous )?(rules|instructions)|"
            r"\barr+\b,? matey|new persona)",
            re.IGNORECASE,
        ),
    ),
    (
        "off-topic content",
        re.compile(
            r"\b(here('s| is) (a|an|the|your) (poem|joke|haiku|song|story|essay|"
            r"recipe|limerick|translation|summary of the news)|once upon a time|"
            r"ingredients:|roses are red|the capital of \w+ is|bitcoin price|"
            r"stock tip|investment advice)",
            re.IGNORECASE,
        ),
    ),
)
_WORD = re.compile(r"\w+")
_LINK = re.compile(r"\b(?:https?://|www\.)[^\s<>()\]\[\"']+", re.IGNORECASE)


def _foreign_links(reply: str, known: str) -> list[str]:
    """Links in the reply that neither the context nor the policies hold (an injected "add this link")."""
    return [
        m.group(0).rstrip(".,;:!?") for m in _LINK.finditer(reply) if m.group(0).rstrip(".,;:!?") not in known
    ]


def _shared_run(reply: str, message: str, n: int = 6) -> str | None:
    """The first run of ``n`` words the reply copies from the message, if any."""
    said = _WORD.findall(message.lower())
    grams = {tuple(said[i : i + n]) for i in range(len(said) - n + 1)}
    words = _WORD.findall(reply.lower())
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) in grams:
            return " ".join(words[i : i + n])
    return None


class InjectionEcho:
    """The ``injection`` check: fail a reply that obeys the customer's text instead of answering it.

    Signs are code, the system prompt's words, a new role, off-topic content, or, when routing suspected an
    injection, a run of words copied from the message that the context does not hold.
    """

    name = "injection"

    def run(self, subject: CheckInput) -> CheckResult:
        reply = subject.draft.reply
        if not reply:
            return CheckResult(self.name, Verdict.PASS, ())
        problems = []
        for label, pattern in _SIGNS:
            found = pattern.search(reply)
            if found:
                problems.append(f"{label}: {found.group(0)!r}")
        for link in _foreign_links(reply, subject.context.grounding_text()):
            problems.append(f"link not in the context: {link!r}")
        if subject.decision.injection:
            echoed = _shared_run(reply, subject.ticket.text)
            if echoed and echoed not in subject.context.grounding_text().lower():
                problems.append(f"repeats the suspected injection: {echoed!r}")
        if problems:
            return CheckResult(self.name, Verdict.FAIL, tuple(problems))
        return CheckResult(self.name, Verdict.PASS, ())
