"""``rules.yaml``: canned answers, escalation triggers, the tone lexicon and business hours, with errors
by line."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ticketflow.domain.rules import (
    WEEKDAYS,
    BusinessHours,
    CannedAnswer,
    PatternTrigger,
    RuleBook,
    ToneLexicon,
)
from ticketflow.errors import ConfigError

_LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, so errors can point at it."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        """YAML 1.1 reads an unquoted ``17:30`` as the base-60 number 1050; keep such times as text."""
        if ":" in str(node.value):
            return self.construct_scalar(node)
        return super().construct_yaml_int(node)


_LineLoader.add_constructor("tag:yaml.org,2002:int", _LineLoader.construct_yaml_int)


def _items(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in mapping.items() if k != _LINE]


def _strings(value: object, path: Path, line: int, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError.at(path, line, f"{what} must be a list of strings")
    return tuple(value)


def _mapping(value: object, path: Path, line: int, what: str) -> dict[str, Any]:
    """A section that must be a mapping; absent means empty."""
    if value is None:
        return {_LINE: line}
    if not isinstance(value, dict):
        raise ConfigError.at(path, line, f"{what} must be a mapping of keys to values")
    return value


def _key_line(path: Path, key: str, fallback: int) -> int:
    """The line where ``key:`` is written (plain values carry no line of their own)."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number >= fallback and text.strip().startswith(f"{key}:"):
            return number
    return fallback


def load_rules(path: Path) -> RuleBook:
    """Parse ``rules.yaml``; an absent file means no rules (everything goes to the classifier)."""
    if not path.exists():
        return RuleBook()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError.at(path, line, f"not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(data, dict):
        raise ConfigError.at(path, 1, "the top level must be a mapping with canned, escalate and tone")
    unknown = {k for k, _ in _items(data)} - {"canned", "escalate", "tone", "business_hours"}
    if unknown:
        raise ConfigError.at(path, data[_LINE], f"unknown top-level keys {sorted(unknown)}")

    top = data[_LINE]
    escalate = _mapping(data.get("escalate"), path, top, "escalate")
    intents = {
        k: str(v)
        for k, v in _items(_mapping(escalate.get("intents"), path, escalate[_LINE], "escalate.intents"))
    }
    return RuleBook(
        _canned(data, path, top),
        intents,
        _triggers(escalate, path),
        _tone(data, path, top),
        _business_hours(data.get("business_hours"), path, top),
    )


def _canned(data: dict[str, Any], path: Path, top: int) -> dict[str, CannedAnswer]:
    """``canned:``: per intent, the approved answer and its example phrasings."""
    canned: dict[str, CannedAnswer] = {}
    canned_section = _mapping(data.get("canned"), path, top, "canned")
    for intent, entry in _items(canned_section):
        if not isinstance(entry, dict) or not isinstance(entry.get("answer"), str):
            line = entry[_LINE] if isinstance(entry, dict) else _key_line(path, intent, canned_section[_LINE])
            raise ConfigError.at(path, line, f"canned.{intent} needs an 'answer' text")
        examples = _strings(entry.get("examples"), path, entry[_LINE], f"canned.{intent}.examples")
        canned[intent] = CannedAnswer(intent, entry["answer"].strip(), examples)
    return canned


def _triggers(escalate: dict[str, Any], path: Path) -> tuple[PatternTrigger, ...]:
    """``escalate.triggers:``: each with an id, a reason and regex patterns (case-insensitive)."""
    raw_triggers = escalate.get("triggers") or []
    if not isinstance(raw_triggers, list):
        raise ConfigError.at(path, escalate[_LINE], "escalate.triggers must be a list of triggers")
    triggers: list[PatternTrigger] = []
    for i, trig in enumerate(raw_triggers):
        line = trig.get(_LINE, escalate[_LINE]) if isinstance(trig, dict) else escalate[_LINE]
        if (
            not isinstance(trig, dict)
            or not trig.get("id")
            or not trig.get("reason")
            or not trig.get("patterns")
        ):
            raise ConfigError.at(path, line, f"escalate.triggers[{i}] needs 'id', 'reason' and 'patterns'")
        compiled = []
        for pattern in _strings(trig.get("patterns"), path, line, f"trigger {trig['id']} patterns"):
            try:
                compiled.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                raise ConfigError.at(
                    path, line, f"trigger {trig['id']}: bad regex {pattern!r} ({exc})"
                ) from exc
        triggers.append(PatternTrigger(str(trig["id"]), str(trig["reason"]), tuple(compiled)))
    return tuple(triggers)


def _tone(data: dict[str, Any], path: Path, top: int) -> ToneLexicon:
    """``tone:``: the threshold and the profanity and anger word lists."""
    tone = _mapping(data.get("tone"), path, top, "tone")
    threshold = tone.get("threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise ConfigError.at(path, tone[_LINE], "tone.threshold must be a number between 0 and 1")
    return ToneLexicon(
        threshold=float(threshold),
        profanity=frozenset(
            w.lower() for w in _strings(tone.get("profanity"), path, tone[_LINE], "profanity")
        ),
        anger=tuple(w.lower() for w in _strings(tone.get("anger"), path, tone[_LINE], "tone.anger")),
    )


_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_DAY_NAMES = {name: i for i, name in enumerate(WEEKDAYS)} | {
    full: i
    for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}


def _business_hours(value: object, path: Path, top: int) -> BusinessHours | None:
    """``business_hours:``: timezone, days, open, close and optional holidays; absent means not set."""
    if value is None:
        return None
    section = _mapping(value, path, _key_line(path, "business_hours", top), "business_hours")
    line = section[_LINE]
    unknown = {k for k, _ in _items(section)} - {"timezone", "days", "open", "close", "holidays"}
    if unknown:
        raise ConfigError.at(path, line, f"business_hours: unknown keys {sorted(unknown)}")
    missing = [k for k in ("timezone", "days", "open", "close") if section.get(k) is None]
    if missing:
        raise ConfigError.at(path, line, f"business_hours needs {', '.join(missing)}")

    zone = _zone(section["timezone"], path, line)
    numbers = _days(section["days"], path, _key_line(path, "days", line))
    opens, closes = (_minutes(section[k], path, _key_line(path, k, line), k) for k in ("open", "close"))
    if closes <= opens:
        raise ConfigError.at(
            path, _key_line(path, "close", line), "business_hours.close must be later than open"
        )
    holidays = _holidays(section.get("holidays") or [], path, _key_line(path, "holidays", line))
    return BusinessHours(zone, numbers, opens, closes, holidays)


def _zone(zone: object, path: Path, line: int) -> str:
    try:
        if not isinstance(zone, str):
            raise ZoneInfoNotFoundError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        where = _key_line(path, "timezone", line)
        raise ConfigError.at(path, where, f"business_hours.timezone: unknown zone {zone!r}") from exc
    return zone


def _days(days: object, path: Path, where: int) -> frozenset[int]:
    if not isinstance(days, list) or not days:
        raise ConfigError.at(path, where, "business_hours.days must be a list of days")
    numbers = set()
    for day in days:
        number = _DAY_NAMES.get(day.lower()) if isinstance(day, str) else None
        if number is None:
            raise ConfigError.at(path, where, f"business_hours.days: {day!r} is not a day (mon..sun)")
        numbers.add(number)
    return frozenset(numbers)


def _holidays(raw: object, path: Path, where: int) -> frozenset[date]:
    if not isinstance(raw, list):
        raise ConfigError.at(path, where, "business_hours.holidays must be a list of dates (YYYY-MM-DD)")
    holidays = set()
    for day in raw:
        try:
            holidays.add(day if isinstance(day, date) else date.fromisoformat(str(day)))
        except ValueError as exc:
            raise ConfigError.at(
                path, where, f"business_hours.holidays: {day!r} is not a date (YYYY-MM-DD)"
            ) from exc
    return frozenset(holidays)


def _minutes(value: object, path: Path, line: int, key: str) -> int:
    found = _TIME.match(value) if isinstance(value, str) else None
    minutes = int(found[1]) * 60 + int(found[2]) if found else -1
    if not 0 <= minutes <= 24 * 60:
        raise ConfigError.at(path, line, f'business_hours.{key} must be a time like "09:00", got {value!r}')
    return minutes
