"""Tests for knowledge.workspace.frontmatter.read_document: metadata, body, and errors naming file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketflow.errors import ConfigError
from ticketflow.knowledge.workspace.frontmatter import read_document


def _write(tmp_path: Path, text: str, name: str = "returns.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_gives_id_title_intents_and_body(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "---\nid: returns\ntitle: Returns policy\nintents: [get_refund, return_item]\n---\n"
        "Return within 30 days.\n",
    )

    doc = read_document(path)

    assert doc.id == "returns"
    assert doc.title == "Returns policy"
    assert doc.intents == ("get_refund", "return_item")
    assert doc.body == "Return within 30 days.\n"
    assert doc.body_line == 6


def test_without_front_matter_the_id_is_the_file_name_and_the_title_its_heading(tmp_path: Path) -> None:
    path = _write(tmp_path, "# Shipping times #\nWe ship daily.\n", name="shipping-times.md")

    doc = read_document(path)

    assert doc.id == "shipping-times"
    assert doc.title == "Shipping times"
    assert doc.intents == ()
    assert doc.body == "# Shipping times #\nWe ship daily.\n"
    assert doc.body_line == 1


@pytest.mark.parametrize(
    "body",
    [
        "We ship daily.\n## Weekends\nNot on Sundays.\n",  # only a level-2 heading
        "```\n# a shell comment\n```\nWe ship daily.\n",  # a '#' line inside a code block
        "#hashtag is not a heading\n",
    ],
)
def test_without_a_title_or_a_level_one_heading_the_title_is_the_id(tmp_path: Path, body: str) -> None:
    assert read_document(_write(tmp_path, body, name="shipping-times.md")).title == "shipping-times"


def test_a_title_in_front_matter_wins_over_the_heading(tmp_path: Path) -> None:
    path = _write(tmp_path, "---\ntitle: Delivery\n---\n# Shipping\nWe ship daily.\n")
    assert read_document(path).title == "Delivery"


def test_broken_yaml_names_the_file_and_the_line_of_the_problem(tmp_path: Path) -> None:
    # line 4 holds "bad: : x", which YAML rejects there
    path = _write(tmp_path, "---\nid: returns\ntitle: Returns\nbad: : x: y\n---\nBody\n")

    with pytest.raises(ConfigError, match=r"front matter is not valid YAML") as caught:
        read_document(path)

    assert str(caught.value).startswith(f"{path}:4: ")


def test_unclosed_front_matter_points_at_line_one(tmp_path: Path) -> None:
    path = _write(tmp_path, "---\nid: returns\ntitle: Returns\nBody without a closing fence\n")

    with pytest.raises(ConfigError, match=r"never closed") as caught:
        read_document(path)

    assert str(caught.value).startswith(f"{path}:1: ")


def test_front_matter_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "---\n- just\n- a list\n---\nBody\n")

    with pytest.raises(ConfigError, match=r"must be a mapping") as caught:
        read_document(path)

    assert str(caught.value).startswith(f"{path}:2: ")


def test_intents_written_as_a_string_are_rejected_with_an_example(tmp_path: Path) -> None:
    path = _write(tmp_path, "---\nid: returns\nintents: get_refund\n---\nBody\n")

    with pytest.raises(ConfigError, match=r"'intents' must be a list, e\.g\. intents: \[track_order\]"):
        read_document(path)
