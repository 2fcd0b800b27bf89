"""Tests for knowledge.workspace.phrasings: intents.yaml, read into phrasings with errors by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketflow.errors import ConfigError
from ticketflow.knowledge.workspace.phrasings import labelled, load_phrasings


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "intents.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_phrasings_are_read_in_order_trimmed_and_without_repeats(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "# how customers ask\n"
        "edit_account:\n"
        '  - "update the email on my account "\n'
        "  - change my name\n"
        "  - change my name\n"
        "track_order: [where is my parcel]\n",
    )
    found = load_phrasings(path)
    assert found == {
        "edit_account": ("update the email on my account", "change my name"),
        "track_order": ("where is my parcel",),
    }
    assert labelled(found)[-1] == ("where is my parcel", "track_order")


def test_an_absent_or_empty_file_means_no_phrasings(tmp_path: Path) -> None:
    assert load_phrasings(tmp_path / "intents.yaml") == {}
    assert load_phrasings(_write(tmp_path, "# nothing yet\n")) == {}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("- just a list\n", r"intents\.yaml:1: must map intents"),
        ("edit_account: update my email\n", r"intents\.yaml:1: edit_account: must be a list"),
        ("edit_account:\n  - ok\n  - {a: b}\n", r"intents\.yaml:3: edit_account: a phrasing must be"),
        ("edit_account:\n  - fine\n  - ''\n", r"intents\.yaml:3: edit_account: a phrasing must be"),
        ("a:\n  - x\nedit account:\n  - y\n", r"intents\.yaml:3: 'edit account' is not an intent"),
        ("a: [x]\nb: [y]\na: [z]\n", r"intents\.yaml:3: intent 'a' is listed twice"),
        ("a: [x\nb: y\n", r"intents\.yaml:\d+: not valid YAML"),
    ],
)
def test_a_broken_file_is_named_with_its_line(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        load_phrasings(_write(tmp_path, text))
