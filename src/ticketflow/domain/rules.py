"""The workspace's routing rules as values: canned answers, escalation triggers, tone lexicon."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CannedAnswer:
    """An approved answer for an intent, sent without a model call."""

    intent: str
    answer: str
    examples: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class CannedMatch:
    """A message matched to a canned answer through its nearest example phrasing."""

    intent: str
    example: str
    similarity: float


@dataclass(frozen=True, slots=True)
class PatternTrigger:
    """Escalate when any pattern matches, whatever the intent."""

    id: str
    reason: str
    patterns: tuple[re.Pattern[str], ...]

    def match(self, text: str) -> str | None:
        for pattern in self.patterns:
            found = pattern.search(text)
            if found:
                return found.group(0)
        return None


@dataclass(frozen=True, slots=True)
class ToneLexicon:
    threshold: float = 0.5
    profanity: frozenset[str] = field(default_factory=frozenset)
    anger: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class RuleBook:
    canned: dict[str, CannedAnswer] = field(default_factory=dict)
    escalate_intents: dict[str, str] = field(default_factory=dict)
    triggers: tuple[PatternTrigger, ...] = field(default=())
    tone: ToneLexicon = field(default_factory=ToneLexicon)
