"""Every ``--help`` page shows the bracketed names its text gives (``[channels.email]``, ``[stdout]``).

Typer renders help through Rich markup, where ``[word]`` is a style tag and vanishes, so a help text must
escape its brackets; this walks every command and option of the real CLI and renders each page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ticketflow.cli import app

BRACKETED = re.compile(r"\[[^\]\s]+\]")


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, group)]
    for name, sub in sorted(getattr(group, "commands", {}).items()):  # Typer vendors its own click
        found += _commands(sub, (*path, name))
    return found


def _shown(raw: str | None) -> list[str]:
    """The bracketed names a reader should see in ``raw`` (its Rich escapes removed)."""
    return BRACKETED.findall((raw or "").replace("\\[", "["))


PAGES = _commands(typer.main.get_command(app))


def test_the_walk_finds_the_commands_with_bracketed_help() -> None:
    texts = [c.help or "" for _, c in PAGES] + [
        getattr(p, "help", None) or "" for _, c in PAGES for p in c.params
    ]
    assert len(PAGES) > 30
    assert any("[channels.email]" in t.replace("\\[", "[") for t in texts)


@pytest.mark.parametrize("path", [p for p, _ in PAGES], ids=lambda p: " ".join(p) or "ticketflow")
def test_help_shows_its_bracketed_names(path: tuple[str, ...]) -> None:
    command = dict(PAGES)[path]
    listed = [(sub.help or "").split("\n\n")[0] for sub in getattr(command, "commands", {}).values()]
    options = [getattr(p, "help", None) for p in command.params]
    expected = [name for text in [command.help, *listed, *options] for name in _shown(text)]
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    missing = [name for name in expected if name not in result.output]
    assert not missing, f"{' '.join(path) or 'ticketflow'} --help drops {missing}"
