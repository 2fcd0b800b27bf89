"""BM25 retrieval (bm25s) over policy and article chunks, and policy selection by intent."""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import Stemmer

from ticketflow.domain.context import Passage, PolicyQuote
from ticketflow.knowledge.chunking import Chunk

_STEMMER = Stemmer.Stemmer("english")


def _tokenize(texts: list[str]) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False)


class Bm25Index:
    """A ``KnowledgeIndex``: BM25 over chunks, plus the verbatim policies keyed by the intents they name."""

    def __init__(
        self, chunks: Sequence[Chunk], policies: Sequence[tuple[PolicyQuote, tuple[str, ...]]]
    ) -> None:
        self._chunks = list(chunks)
        self._policies = list(policies)
        self._retriever = bm25s.BM25()
        if self._chunks:
            corpus = [f"{c.title}. {c.heading}. {c.text}" for c in self._chunks]
            self._retriever.index(_tokenize(corpus), show_progress=False)

    def __len__(self) -> int:
        return len(self._chunks)

    def search(self, query: str, k: int) -> list[Passage]:
        if not self._chunks or not query.strip():
            return []
        k = min(k, len(self._chunks))
        docs, scores = self._retriever.retrieve(_tokenize([query]), k=k, show_progress=False)
        passages = []
        for index, score in zip(docs[0], scores[0], strict=True):
            if score <= 0:
                continue
            c = self._chunks[int(index)]
            title = f"{c.title} — {c.heading}" if c.heading else c.title
            passages.append(Passage(c.source_id, title, c.text, float(score), c.kind))
        return passages

    def policies_for(self, intent: str | None) -> list[PolicyQuote]:
        if intent is None:
            return []
        named = [(p, intents) for p, intents in self._policies if intent in intents]
        # a policy that names fewer intents is more specific to this one
        named.sort(key=lambda pair: len(pair[1]))
        return [p for p, _ in named]
