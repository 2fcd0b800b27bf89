"""Sentences of a written document (a policy, an article), read as Markdown is written.

A blank line, or a line that opens a list item, a heading, a quote or a table row, starts a new block; any
other line break only wraps a sentence. Policies and articles are quoted as their authors wrote them, often
hard-wrapped, and a sentence broken at its line ends ("Ridden bikes cannot be" / "returned, but …") would
read as two claims, the second with its negation lost.
"""

from __future__ import annotations

import re

_OPENS = re.compile(r"(?:[-*+>]|\d+[.)])\s|[#|]")
"""A line that starts a block of its own: a list item, a quote, a heading or a table row."""
_SENTENCE = re.compile(r"(?<!^\d\.)(?<!^\d\d\.)(?<=[.!?])\s+")
"""A sentence ends at ``.``, ``!`` or ``?`` before a space, except a list item's own number ("1. ")."""


def _blocks(text: str) -> list[str]:
    """Paragraphs, list items, quotes, headings and table rows, each on one line."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or _OPENS.match(stripped):
            blocks.append([])
        if stripped:
            blocks[-1].append(stripped)
        if stripped.startswith(("#", "|")):  # a heading or a table row is a block on its own line
            blocks.append([])
    return [" ".join(block) for block in blocks if block]


def prose_sentences(text: str) -> list[str]:
    """The sentences of ``text``, a wrapped line joined to the next, a list item or heading on its own."""
    return [s for block in _blocks(text) for s in _SENTENCE.split(block) if s]
