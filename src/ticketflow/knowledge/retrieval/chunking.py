"""Split articles into retrievable chunks by heading and paragraph, with a little overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One retrievable piece of a document: text under ``heading``, with the document's id, title and kind.

    ``intents`` are the document's front-matter intents, indexed with the chunk so a routed intent finds it.
    """

    source_id: str
    title: str
    heading: str
    text: str
    kind: str
    intents: tuple[str, ...]


def chunk_markdown(
    source_id: str,
    title: str,
    body: str,
    *,
    kind: str,
    intents: tuple[str, ...] = (),
    max_words: int = 120,
    overlap_words: int = 20,
) -> list[Chunk]:
    """Sections under each heading, split into paragraph groups of about ``max_words`` words.

    A long section's next chunk repeats the last ``overlap_words`` words of the previous one, so a fact that
    straddles a boundary is still found whole in one chunk. A paragraph longer than the window is split at
    sentence ends (a single sentence longer than that stays whole).
    """
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in body.splitlines():
        found = _HEADING.match(line)
        if found:
            sections.append((found.group(1).strip(), []))
        else:
            sections[-1][1].append(line)
    chunks: list[Chunk] = []
    for heading, lines in sections:
        paragraphs = [p.strip() for p in "\n".join(lines).split("\n\n") if p.strip()]
        buffer: list[str] = []
        for words in _pieces(paragraphs, max_words - overlap_words):
            if buffer and len(buffer) + len(words) > max_words:
                chunks.append(Chunk(source_id, title, heading, " ".join(buffer), kind, intents))
                buffer = buffer[-overlap_words:] if overlap_words else []
            buffer.extend(words)
        if buffer:
            chunks.append(Chunk(source_id, title, heading, " ".join(buffer), kind, intents))
    return chunks


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _pieces(paragraphs: list[str], window: int) -> list[list[str]]:
    """Paragraphs as word lists; one longer than ``window`` words is cut into runs of whole sentences."""
    pieces: list[list[str]] = []
    for paragraph in paragraphs:
        words = paragraph.split()
        if len(words) <= window:
            pieces.append(words)
            continue
        run: list[str] = []
        for sentence in _SENTENCE_END.split(paragraph):
            sentence_words = sentence.split()
            if run and len(run) + len(sentence_words) > window:
                pieces.append(run)
                run = []
            run.extend(sentence_words)
        if run:
            pieces.append(run)
    return pieces
