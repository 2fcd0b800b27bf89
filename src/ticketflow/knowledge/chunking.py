"""Split articles into retrievable chunks by heading and paragraph, with a little overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


@dataclass(frozen=True, slots=True)
class Chunk:
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
    """Sections under each heading, split into paragraph groups of at most ``max_words`` words.

    A long section's next chunk repeats the last ``overlap_words`` words of the previous one, so a fact that
    straddles a boundary is still found whole in one chunk.
    """
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            sections.append((heading.group(1).strip(), []))
        else:
            sections[-1][1].append(line)
    chunks: list[Chunk] = []
    for heading, lines in sections:
        paragraphs = [p.strip() for p in "\n".join(lines).split("\n\n") if p.strip()]
        buffer: list[str] = []
        for paragraph in paragraphs:
            words = paragraph.split()
            if buffer and len(buffer) + len(words) > max_words:
                chunks.append(Chunk(source_id, title, heading, " ".join(buffer), kind, intents))
                buffer = buffer[-overlap_words:] if overlap_words else []
            buffer.extend(words)
        if buffer:
            chunks.append(Chunk(source_id, title, heading, " ".join(buffer), kind, intents))
    return chunks
