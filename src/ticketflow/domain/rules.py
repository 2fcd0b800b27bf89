"""The workspace's routing rules as values: canned answers, escalation triggers, tone lexicon, business
hours."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


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
        """The words the first matching pattern found (the trigger's evidence); None when none matches."""
        for pattern in self.patterns:
            found = pattern.search(text)
            if found:
                return found.group(0)
        return None


@dataclass(frozen=True, slots=True)
class ToneLexicon:
    """``rules.yaml``'s tone lexicon: the profanity and anger phrases that raise the anger score.

    ``threshold`` is the score at which a ticket escalates; ``routing.tone_threshold`` in the settings
    overrides it.
    """

    threshold: float = 0.5
    profanity: frozenset[str] = field(default_factory=frozenset)
    anger: tuple[str, ...] = field(default=())


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When the team works: on ``days`` (0 = Monday) from ``opens`` until ``closes`` (minutes after
    midnight, local time in ``timezone``), except on ``holidays`` (local dates)."""

    timezone: str = "UTC"
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    opens: int = 9 * 60
    closes: int = 17 * 60
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (a naive time is read as UTC) falls inside business hours."""
        local = (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        return (
            local.weekday() in self.days
            and local.date() not in self.holidays
            and self.opens <= minute < self.closes
        )


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Everything ``rules.yaml`` decides for routing, read once per workspace.

    Canned answers by intent, the intents that always escalate (with their reason), pattern triggers, the tone
    lexicon and business hours.
    """

    canned: dict[str, CannedAnswer] = field(default_factory=dict)
    escalate_intents: dict[str, str] = field(default_factory=dict)
    triggers: tuple[PatternTrigger, ...] = field(default=())
    tone: ToneLexicon = field(default_factory=ToneLexicon)
    business_hours: BusinessHours | None = None
    """``business_hours:`` in rules.yaml; None when the workspace does not say."""
