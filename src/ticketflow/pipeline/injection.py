"""Injection suspicion: text addressed to the assistant rather than to the company."""

from __future__ import annotations

import re

_PATTERNS = tuple(
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


def injection_evidence(text: str) -> str | None:
    """The first suspicious span, or None."""
    for pattern in _PATTERNS:
        found = pattern.search(text)
        if found:
            return found.group(0)[:80]
    return None
