"""Markdown files with YAML front matter, read with errors that name the file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ticketflow.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Document:
    """A Markdown file's front matter (``meta``) and body. ``id`` defaults to the file's stem; ``title`` to
    the body's first level-1 heading (``# Opening hours``), then to the id: a help-centre export often
    carries its title only as that heading, and a slug reads badly in the prompt and in citations."""

    path: Path
    meta: dict[str, Any]
    body: str
    body_line: int
    """1-based line of the file where ``body`` starts."""

    @property
    def id(self) -> str:
        return str(self.meta.get("id") or self.path.stem)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or first_heading(self.body) or self.id)

    @property
    def intents(self) -> tuple[str, ...]:
        value = self.meta.get("intents") or ()
        return tuple(str(v) for v in value)


_H1 = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^(?:```|~~~)")


def first_heading(body: str) -> str | None:
    """The text of the first ATX level-1 heading outside a fenced code block, if any."""
    fenced = False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (found := _H1.match(line)):
            return found.group(1).strip() or None
    return None


def read_document(path: Path) -> Document:
    """Read ``path``; without a leading ``---`` the whole file is the body and ``meta`` is empty.

    Raises ``ConfigError`` naming the file and line when the front matter is never closed, is not YAML or
    not a mapping, or its ``intents`` is not a list.
    """
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return Document(path, {}, text, 1)
    lines = text.splitlines(keepends=True)
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        raise ConfigError.at(path, 1, "front matter opened with '---' is never closed")
    try:
        meta = yaml.safe_load("".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise ConfigError.at(
            path, line, f"front matter is not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from exc
    if not isinstance(meta, dict):
        raise ConfigError.at(path, 2, "front matter must be a mapping of keys to values")
    intents = meta.get("intents")
    if intents is not None and not isinstance(intents, list):
        raise ConfigError.at(path, 2, "'intents' must be a list, e.g. intents: [track_order]")
    return Document(path, meta, "".join(lines[end + 1 :]), end + 2)
