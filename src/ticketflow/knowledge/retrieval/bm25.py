"""BM25 retrieval (bm25s) over policy and article chunks, and policy selection by intent.

Each chunk is indexed with its document title and heading repeated (a title word is worth more than a body
word) and with the intents its front matter names, spelt as words ("track order"): the context stage adds the
routed intent to the query, so an article written for that intent is lifted without being forced in when
routing is wrong. A search returns at most one passage per document, so the top three are three articles.

Document expansion: an article can come with the questions it answers in customers' words (the workspace's
labelled example tickets of the intents it names, and the canned answers' example phrasings). They are indexed
apart, one short document per article, and each article's score adds ``question_weight`` × its question score
(both scaled to the best of their run), so wording the article never uses ("has my stuff shipped") still
finds it through the tickets that used it, even when the routed intent is wrong. Passages stay the article's
own text.

The index can be kept on disk (``cache_dir``, normally ``var/index``) under a hash of everything that went
into it; a changed file changes the hash and the index is rebuilt, an unchanged workspace loads it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import bm25s
import Stemmer

from ticketflow.domain.context import Passage, PolicyQuote
from ticketflow.knowledge.retrieval.chunking import Chunk

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
        questions: Mapping[str, Sequence[str]] | None = None,
        question_weight: float = 0.5,
        cache_dir: Path | None = None,
    ) -> None:
        """``questions``: per document id, questions it answers (document expansion; see the module doc).

        The question index is small (one entry per document) and is built in memory on every load; only the
        chunk index is stored under ``cache_dir``.
        """
        self._chunks = list(chunks)
        self._policies = list(policies)
        self._first: dict[str, int] = {}
        for n, c in enumerate(self._chunks):
            self._first.setdefault(c.source_id, n)
        self._question_weight = question_weight
        self._asked: list[str] = []
        """The document id of each entry of ``self._questions``."""
        self._questions: bm25s.BM25 | None = None
        asked = {d: q for d, q in (questions or {}).items() if q and d in self._first}
        if asked and question_weight > 0:
            self._asked = sorted(asked)
            profiles = [f"{self._chunks[self._first[d]].title}. " + " ".join(asked[d]) for d in self._asked]
            self._questions = bm25s.BM25()
            self._questions.index(_tokenize(profiles), show_progress=False)
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
        tokens = _tokenize([query])
        fetch = min(len(self._chunks), max(8 * k, 32))
        docs, scores = self._retriever.retrieve(tokens, k=fetch, show_progress=False)
        best: dict[str, tuple[float, int]] = {}
        for index, score in zip(docs[0], scores[0], strict=True):
            if score <= 0:
                break
            source = self._chunks[int(index)].source_id
            if source not in best:
                best[source] = (float(score), int(index))
        ranked = sorted(self._add_questions(best, tokens).values(), key=lambda pair: -pair[0])
        passages: list[Passage] = []
        for score, index in ranked[:k]:
            c = self._chunks[index]
            title = f"{c.title} — {c.heading}" if c.heading else c.title
            passages.append(Passage(c.source_id, title, c.text, score, c.kind))
        return passages

    def _add_questions(
        self, best: dict[str, tuple[float, int]], tokens: bm25s.tokenization.Tokenized
    ) -> dict[str, tuple[float, int]]:
        """``best`` with each document's question score added, in the units of the best chunk's score.

        A document found only through its questions is represented by its first chunk.
        """
        if self._questions is None:
            return best
        docs, scores = self._questions.retrieve(tokens, k=len(self._asked), show_progress=False)
        asked = {self._asked[int(d)]: float(s) for d, s in zip(docs[0], scores[0], strict=True) if s > 0}
        if not asked:
            return best
        top_chunk = max((score for score, _ in best.values()), default=0.0)
        scale = self._question_weight * (top_chunk / max(asked.values()) if top_chunk > 0 else 1.0)
        fused = dict(best)
        for source, score in asked.items():
            chunk_score, index = best.get(source, (0.0, self._first[source]))
            fused[source] = (chunk_score + scale * score, index)
        return fused

    def policies_for(self, intent: str | None) -> list[PolicyQuote]:
        if intent is None:
            return []
        named = [(p, intents) for p, intents in self._policies if intent in intents]
        # a policy that names fewer intents is more specific to this one
        named.sort(key=lambda pair: len(pair[1]))
        return [p for p, _ in named]
