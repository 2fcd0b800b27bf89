"""Tests for knowledge.workspace.rules.load_rules: rules.yaml to a RuleBook, errors naming file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ticketflow.errors import ConfigError
from ticketflow.knowledge.workspace.rules import load_rules

RULES = """\
canned:
  track_order:
    answer: |
      Track your parcel under Account > Orders.
    examples:
      - "where is my parcel"
escalate:
  intents:
    get_refund: refund
  triggers:
    - id: legal
      reason: legal_threat
      patterns: ["\\\\blawyer\\\\b", "small claims"]
tone:
  threshold: 0.4
  profanity: [Damn]
  anger: [Ridiculous, "fed up"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rules_file_becomes_canned_answers_escalations_triggers_and_tone(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, RULES))

    assert rules.canned["track_order"].answer == "Track your parcel under Account > Orders."
    assert rules.canned["track_order"].examples == ("where is my parcel",)
    assert rules.escalate_intents == {"get_refund": "refund"}
    (trigger,) = rules.triggers
    assert (trigger.id, trigger.reason) == ("legal", "legal_threat")
    assert trigger.match("I will call my LAWYER tomorrow") == "LAWYER"
    assert trigger.match("off to small claims court") == "small claims"
    assert trigger.match("lawyers are nice") is None
    assert rules.tone.threshold == 0.4
    assert rules.tone.profanity == frozenset({"damn"})
    assert rules.tone.anger == ("ridiculous", "fed up")


def test_absent_rules_file_means_no_rules(tmp_path: Path) -> None:
    rules = load_rules(tmp_path / "rules.yaml")

    assert rules.canned == {}
    assert rules.triggers == ()


def test_bad_regex_names_the_file_the_trigger_line_and_the_pattern(tmp_path: Path) -> None:
    text = (
        "escalate:\n"
        "  triggers:\n"
        "    - id: legal\n"
        "      reason: legal\n"
        "      patterns: ['lawyer', '(unclosed']\n"
    )
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError, match=r"trigger legal: bad regex '\(unclosed'") as caught:
        load_rules(path)

    assert str(caught.value).startswith(f"{path}:3: ")


def test_canned_entry_without_answer_names_the_intent_and_its_line(tmp_path: Path) -> None:
    text = (
        "canned:\n"
        "  track_order:\n"
        "    answer: Use Account > Orders.\n"
        "  returns:\n"
        "    examples: ['how to return']\n"
    )
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError, match=r"canned\.returns needs an 'answer' text") as caught:
        load_rules(path)

    assert str(caught.value).startswith(f"{path}:5: ")


def test_broken_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    text = "canned:\n  track_order:\n    answer: ok\n   bad_indent: x\n"
    path = _write(tmp_path, text)

    with pytest.raises(ConfigError, match=r"not valid YAML") as caught:
        load_rules(path)

    assert str(caught.value).startswith(f"{path}:4: ")


def test_unknown_top_level_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "canned: {}\ncaned:\n  x: 1\n")

    with pytest.raises(ConfigError, match=r"unknown top-level keys \['caned'\]"):
        load_rules(path)


def test_trigger_without_reason_is_rejected_at_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "escalate:\n  triggers:\n    - id: legal\n      patterns: [lawyer]\n")

    with pytest.raises(ConfigError, match=r"escalate\.triggers\[0\] needs 'id', 'reason'") as caught:
        load_rules(path)

    assert str(caught.value).startswith(f"{path}:3: ")


def test_tone_threshold_outside_zero_to_one_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "tone:\n  threshold: 2\n")

    with pytest.raises(ConfigError, match=r"tone\.threshold must be a number between 0 and 1"):
        load_rules(path)


def test_examples_must_be_a_list_of_strings(tmp_path: Path) -> None:
    path = _write(tmp_path, "canned:\n  track_order:\n    answer: ok\n    examples: just one\n")

    with pytest.raises(ConfigError, match=r"canned\.track_order\.examples must be a list of strings"):
        load_rules(path)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("canned:\n  - a\n", 1, "canned must be a mapping"),
        ("escalate:\n  - a\n", 1, "escalate must be a mapping"),
        ("tone: 5\n", 1, "tone must be a mapping"),
        ("canned:\n  x: just a string\n", 2, "canned.x needs an 'answer'"),
        (
            "escalate:\n  triggers:\n    - id: legal\n      reason: legal\n",
            3,
            r"escalate\.triggers\[0\] needs 'id', 'reason' and 'patterns'",
        ),
        ("tone:\n  threshold: true\n", 2, "tone.threshold must be a number"),
    ],
)
def test_a_section_of_the_wrong_shape_names_its_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"rules\.yaml:{line}: {message}"):
        load_rules(path)


HOURS = """\
tone:
  threshold: 0.5
business_hours:
  timezone: Europe/Berlin
  days: [mon, tue, Wednesday, thu, fri]
  open: "08:30"
  close: 17:45
  holidays: [2026-12-25, "2027-01-01"]
"""


def test_business_hours_become_a_value_with_zone_days_times_and_holidays(tmp_path: Path) -> None:
    hours = load_rules(_write(tmp_path, HOURS)).business_hours

    assert hours is not None
    assert hours.timezone == "Europe/Berlin"
    assert hours.days == frozenset({0, 1, 2, 3, 4})
    assert (hours.opens, hours.closes) == (8 * 60 + 30, 17 * 60 + 45)  # unquoted 17:45 is not base 60
    assert hours.holidays == frozenset({date(2026, 12, 25), date(2027, 1, 1)})


def test_no_business_hours_section_means_none(tmp_path: Path) -> None:
    assert load_rules(_write(tmp_path, RULES)).business_hours is None


@pytest.mark.parametrize(
    ("replace", "by", "line", "message"),
    [
        ("timezone: Europe/Berlin", "timezone: Mars/Olympus", 4, "business_hours.timezone: unknown zone"),
        (
            "days: [mon, tue, Wednesday, thu, fri]",
            "days: [mon, funday]",
            5,
            "business_hours.days: 'funday' is not a day",
        ),
        ("days: [mon, tue, Wednesday, thu, fri]", "days: mon", 5, "business_hours.days must be a list"),
        ('open: "08:30"', 'open: "8 am"', 6, r"business_hours.open must be a time like \"09:00\""),
        ("close: 17:45", 'close: "25:00"', 7, "business_hours.close must be a time"),
        ("close: 17:45", 'close: "08:00"', 7, "business_hours.close must be later than open"),
        (
            'holidays: [2026-12-25, "2027-01-01"]',
            "holidays: [christmas]",
            8,
            "business_hours.holidays: 'christmas' is",
        ),
        ("  timezone: Europe/Berlin\n", "", 4, "business_hours needs timezone"),
        ("  holidays", "  holyday", 4, r"business_hours: unknown keys \['holyday'\]"),
    ],
)
def test_a_business_hours_mistake_names_the_file_and_line(
    tmp_path: Path, replace: str, by: str, line: int, message: str
) -> None:
    assert replace in HOURS
    path = _write(tmp_path, HOURS.replace(replace, by))

    with pytest.raises(ConfigError, match=rf"rules\.yaml:{line}: {message}"):
        load_rules(path)


def test_business_hours_must_be_a_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, "tone:\n  threshold: 0.5\nbusiness_hours: always\n")

    with pytest.raises(ConfigError, match=r"rules\.yaml:3: business_hours must be a mapping"):
        load_rules(path)


def test_the_shipped_rules_files_set_business_hours() -> None:
    root = Path(__file__).resolve().parents[4]
    store = load_rules(root / "examples" / "store" / "rules.yaml").business_hours
    scaffold = load_rules(root / "src" / "ticketflow" / "scaffold" / "rules.yaml").business_hours

    assert store is not None and store.timezone == "Europe/Berlin" and date(2026, 12, 25) in store.holidays
    assert scaffold is not None and (scaffold.opens, scaffold.closes) == (9 * 60, 17 * 60)


SCAFFOLD_ESCALATES = {
    "I want to speak to a manager": "human_requested",
    "can I talk to a real person please": "human_requested",
    "put me through to someone": "human_requested",
    "I'll take you to court": "tone",
    "my lawyer will hear about this": "tone",
    "please close my customer account": "account_deletion",
    "I have a right to be forgotten": "account_deletion",
}
SCAFFOLD_ANSWERS = (
    "What is your phone number?",
    "the chat with the agent was helpful, thanks",
    "Is the manager of the Berlin shop in today?",
    "I spoke to a friend who recommended you",
)


def test_a_new_workspace_escalates_common_requests_for_a_person_threats_and_deletions() -> None:
    # a new company has no intent model: these patterns are all that sends such tickets to a person
    root = Path(__file__).resolve().parents[4]
    rules = load_rules(root / "src" / "ticketflow" / "scaffold" / "rules.yaml")

    def fired(text: str) -> set[str]:
        return {t.reason for t in rules.triggers if t.match(text) is not None}

    for text, reason in SCAFFOLD_ESCALATES.items():
        assert reason in fired(text), text
    for text in SCAFFOLD_ANSWERS:
        assert fired(text) == set(), text
