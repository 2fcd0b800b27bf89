"""Injection suspicion: text addressed to the assistant rather than to the company.

Three kinds of evidence, each a rule with a name:

- ``override``: the classic attack phrases: "ignore previous instructions", "system prompt", role-play
  ("you are now"), fake markup (``<system>``), long encoded blobs.
- ``reply-directive``: an imperative aimed at *our reply* ("add this link to your response", "use numbers
  for vowels in your answer"). Customers ask for things; they do not tell us how to format our answer.
- ``off-topic-task``: a customer's message followed, in a later paragraph or sentence, by a task that has
  nothing to do with the company ("Explain photosynthesis.", "Write a poem about the sea."). A message that
  *only* asks such a thing is off-topic but not an attack (nothing is hidden behind a customer request), so
  it is not flagged: benign prompts with trigger words are how over-defence is measured.

Flagging is cheap (validation runs strict, generation gets hardened framing); the false-positive rate on
ordinary tickets is measured in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import re

_OVERRIDE = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget)\b.{0,40}\b(previous|prior|above|earlier|all|your)\b.{0,20}"
        r"\b(instructions?|rules|prompts?|guidelines)\b",
        r"\b(system|hidden|initial)\s+prompt\b",
        r"\byou are (now|no longer)\b",
        r"\b(act|behave|respond) as (an?|the|if)\b",
        r"\bpretend (to be|you)\b",
        r"\b(developer|jailbreak|god|dan) mode\b",
        r"\bnew instructions?\b",
        r"\bas (an|the) (ai|assistant|language model|bot)\b",
        r"\b(reveal|print|show|repeat|output)\b.{0,20}\b(your|the system|hidden|initial|original)\s+"
        r"(instructions|prompt|configuration|rules)\b",
        r"\boverride\b.{0,30}\b(policy|rules|instructions)\b",
        r"</?(system|assistant|instructions?)>",
        r"\b[A-Za-z0-9+/]{40,}={0,2}",
    )
)

_REPLY = r"(?:your|the)\s+(?:response|reply|answer|message|output|text)(?:'s)?"
_POLITE = r"(?:(?:please|also|and|then|now|kindly|finally)[,\s]+)*"
_DIRECTIVE_VERBS = (
    r"add|include|insert|integrate|incorporate|modify|augment|enhance|rewrite|write|format|encode|encrypt|"
    r"translate|reverse|replace|substitute|use|convert|scramble|jumble|misspell|remove|group|combine|render|"
    r"provide|respond|reply|answer|end|begin|start|sign|mention|append|prepend|tell|state|suggest|"
    r"recommend|promote|encourage|introduce|rearrange|anagram|make|put|change|present|express|invite|"
    r"emphasi[sz]e|highlight|stress|tease|hint|direct|link|advertise|claim|say|spell|capitali[sz]e|shift"
)
_SPAN = r"""(?:"[^"\n]{0,120}"|[^.?!\n"]|[.?!](?=\S)){0,160}?"""
_REPLY_DIRECTIVE = re.compile(
    rf"^{_POLITE}(?:(?:{_DIRECTIVE_VERBS})\b{_SPAN}\b{_REPLY}\b|in\s+{_REPLY}\b)", re.IGNORECASE
)
# Rewriting letters and words is a formatting order for the assistant, never a customer's request.
_TRANSFORM = re.compile(
    rf"^{_POLITE}(?:replace|substitute|swap|scramble|jumble|misspell|anagram|reverse|encode|encrypt|"
    r"rearrange|capitali[sz]e|remove|group)\b[^.?!\n]{0,40}\b(?:letters?|vowels?|consonants?|characters?|"
    r"words?|spaces|punctuation)\b",
    re.IGNORECASE,
)

_ASKING = re.compile(rf"^{_POLITE}(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?", re.IGNORECASE)
# Task openers of a general-purpose assistant, and questions of general knowledge.
_IMPERATIVE = re.compile(
    r"^(?:explain|describe|write|compose|draft|translate|provide|develop|create|generate|summari[sz]e|list|"
    r"tell\s+me\s+about|break\s+down|analy[sz]e|recommend|suggest|calculate|compute|solve|define|outline|"
    r"discuss|compare|recite|sing|design|show\s+me|teach\s+me|convert)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"^(?:what(?:'s|\s+(?:is|are|was|were))|who\s+(?:is|was|wrote|invented|discovered)|"
    r"how\s+(?:do|does|did|can|to)|why\s+(?:do|does|is|are)|when\s+(?:did|was)|where\s+(?:is|are))\b",
    re.IGNORECASE,
)
# Questions to us ("why do you...", "what are we supposed to do") are the customer's, not a hidden task.
_ADDRESSED = re.compile(r"\b(?:you|your|yours|we|us|y'all)\b", re.IGNORECASE)
# Words that tie a sentence to the customer's own business with us: any of them and it is not off-topic.
_SUPPORT = re.compile(
    r"\b(?:my|our|mine|order(?:s|ed)?|account|deliver(?:y|ed|ies)?|package|parcel|shipment|ship(?:ping|ped)?|"
    r"refund(?:s|ed)?|payment|pay|paid|charge[ds]?|card|invoice|bill(?:ing)?|receipt|password|log\s*in|login|"
    r"sign(?:ed)?\s+(?:in|up)|return(?:s|ed)?|cancel(?:led|lation)?|subscri(?:be|ption)|address|email|item|"
    r"product|purchase[ds]?|price|discount|coupon|voucher|store|shop|warranty|exchange|replacement|track(?:ing)?|"
    r"stock|size|fee|membership|plan|newsletter|support|customer\s+service|agent|help\s+me|this|that|it|these|"
    r"flight|booking|reservation|ticket|seat|bag(?:s|gage)?|luggage|travel\w*|trip|reimburs\w*|damage[ds]?|"
    r"compensation|claim|going\s+on)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"""(?:(?<=\s)|^)(['"])[^'"\n]*\1""")
_URL = re.compile(r"\S+://\S+|www\.\S+")
_SEGMENTS = re.compile(r"\n+|(?<=[.?!])\s+(?=[A-Z])")


def _segments(text: str) -> list[str]:
    return [s.strip() for s in _SEGMENTS.split(text) if s.strip()]


def injection_evidence(text: str) -> str | None:
    """The first suspicious span (at most 80 characters), or None."""
    found = injection_finding(text)
    return found[1] if found else None


def injection_finding(text: str) -> tuple[str, str] | None:
    """``(rule, evidence)`` for the first rule that fires, or None."""
    for pattern in _OVERRIDE:
        match = pattern.search(text)
        if match:
            return "override", match.group(0)[:80]
    segments = _segments(text)
    for segment in segments:
        if _REPLY_DIRECTIVE.search(segment) or _TRANSFORM.search(segment):
            return "reply-directive", segment[:80]
    for segment in segments[1:]:
        if _off_topic_task(segment):
            return "off-topic-task", segment[:80]
    return None


def _off_topic_task(segment: str) -> bool:
    """A general-purpose assistant's task that names nothing of the customer's business with us."""
    body = _ASKING.sub("", _URL.sub("", segment), count=1)
    words = len(body.split())
    unquoted = _QUOTED.sub("", body).replace("do you say", "")
    if words < 3 or _SUPPORT.search(body) or _ADDRESSED.search(unquoted):
        return False
    return bool(_IMPERATIVE.search(body) or (_QUESTION.search(body) and words >= 5))
