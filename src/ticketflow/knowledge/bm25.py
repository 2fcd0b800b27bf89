"""BM25 retrieval (bm25s) over policy and article chunks, and policy selection by intent.

Each chunk is indexed with its document title and heading repeated (a title word is worth more than a body
word) and with the intents its front matter names, spelt as words ("track order"): the context stage adds the
routed intent to the query, so an article written for that intent is lifted without being forced in when
routing is wrong. A search returns at most one passage per document, so the top three are three articles.

The index can be kept on disk (``cache_dir``, normally ``var/index``) under a hash of everything that went
into it; a changed file changes the hash and the index is rebuilt, an unchanged workspace loads it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import bm25s
import Stemmer

from ticketflow.domain.context import Passage, PolicyQuote
from ticketflow.knowledge.chunking import Chunk

_STEMMER = Stemmer.Stemmer("english")
INDEX_VERSION = "2"
"""Bump when ``index_text`` or the tokenizer changes, so stored indexes are rebuilt."""


def _tokenize(texts: list[str]) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False)


def index_text(chunk: Chunk) -> str:
    """What BM25 sees for a chunk: title and heading twice (a boost), the text, the intents as words."""
    intents = " ".join(i.replace("_", " ") for i in chunk.intents)
    return f"{chunk.title}. {chunk.title}. {chunk.heading}. {chunk.heading}. {chunk.text} {intents}"


def content_hash(chunks: Sequence[Chunk]) -> str:
    """A digest of every chunk and the index recipe: equal hashes mean an identical index."""
    digest = hashlib.sha256(INDEX_VERSION.encode())
    for c in chunks:
        digest.update(json.dumps([c.source_id, c.title, c.heading, c.text, c.kind, c.intents]).encode())
    return digest.hexdigest()[:20]


class Bm25Index:
    """A ``KnowledgeIndex``: BM25 over chunks, plus the verbatim policies keyed by the intents they name."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        policies: Sequence[tuple[PolicyQuote, tuple[str, ...]]],
        *,
        cache_dir: Path | None = None,
    ) -> None:
        self._chunks = list(chunks)
        self._policies = list(policies)
        self.digest = content_hash(self._chunks)
        self.loaded_from: Path | None = None
        """The stored index that was loaded, or None when it was built in this process."""
        self._retriever = bm25s.BM25()
        if not self._chunks:
            return
        stored = cache_dir / f"bm25-{self.digest}" if cache_dir is not None else None
        if stored is not None and (stored / "params.index.json").exists():
            self._retriever = bm25s.BM25.load(str(stored), show_progress=False)
            self.loaded_from = stored
            return
        self._retriever.index(_tokenize([index_text(c) for c in self._chunks]), show_progress=False)
        if cache_dir is not None:
            self._store(cache_dir)

    def _store(self, cache_dir: Path) -> None:
        """Write beside, then rename into place, so a reader never sees half an index; drop old ones."""
        cache_dir.mkdir(parents=True, exist_ok=True)
        final = cache_dir / f"bm25-{self.digest}"
        partial = Path(tempfile.mkdtemp(prefix=".bm25-", dir=cache_dir))
        self._retriever.save(str(partial), show_progress=False)
        try:
            partial.rename(final)
        except OSError:  # another process stored the same index first
            shutil.rmtree(partial, ignore_errors=True)
        for old in cache_dir.glob("bm25-*"):
            if old != final:
                shutil.rmtree(old, ignore_errors=True)

    def __len__(self) -> int:
        return len(self._chunks)

    def search(self, query: str, k: int) -> list[Passage]:
        """The best chunk of each of the ``k`` best-matching documents, best first."""
        if not self._chunks or not query.strip() or k <= 0:
            return []
        fetch = min(len(self._chunks), max(8 * k, 32))
        docs, scores = self._retriever.retrieve(_tokenize([query]), k=fetch, show_progress=False)
        passages: list[Passage] = []
        seen: set[str] = set()
        for index, score in zip(docs[0], scores[0], strict=True):
            if score <= 0 or len(passages) == k:
                break
            c = self._chunks[int(index)]
            if c.source_id in seen:
                continue
            seen.add(c.source_id)
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
