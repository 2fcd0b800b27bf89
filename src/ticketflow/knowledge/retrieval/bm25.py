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
into it; a changed file changes the hash and the index is rebuilt, an unchanged workspace loads it. Loading
it, and building the small question index, wait for the first search: an engine starts without importing
bm25s unless the index has to be built (and stored) first.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ticketflow.domain.context import Passage, PolicyQuote
from ticketflow.knowledge.retrieval.chunking import Chunk

if TYPE_CHECKING:
    import bm25s
    import Stemmer

INDEX_VERSION = "2"
"""Bump when ``index_text`` or the tokenizer changes, so stored indexes are rebuilt."""


@cache
def _stemmer() -> Stemmer.Stemmer:
    import Stemmer

    return Stemmer.Stemmer("english")


def _tokenize(texts: list[str]) -> bm25s.tokenization.Tokenized:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)


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

        The question index is small (one entry per document) and is built in memory, on the first search;
        only the chunk index is stored under ``cache_dir``. A stored index is loaded on the first search too;
        one that must be built is built (and stored) now, so it is on disk for the next process.
        """
        self._chunks = list(chunks)
        self._policies = list(policies)
        self._first: dict[str, int] = {}
        for n, c in enumerate(self._chunks):
            self._first.setdefault(c.source_id, n)
        self._question_weight = question_weight
        self._asked: list[str] = []
        """The document id of each entry of the question index."""
        self._profiles: list[str] = []
        """What the question index holds for each entry: the document's title and its questions."""
        asked = {d: q for d, q in (questions or {}).items() if q and d in self._first}
        if asked and question_weight > 0:
            self._asked = sorted(asked)
            titles = [self._chunks[self._first[d]].title for d in self._asked]
            self._profiles = [f"{t}. " + " ".join(asked[d]) for t, d in zip(titles, self._asked, strict=True)]
        self.digest = content_hash(self._chunks)
        self.loaded_from: Path | None = None
        """The stored index this one reads, or None when it was built in this process."""
        self._ready: tuple[bm25s.BM25, bm25s.BM25 | None] | None = None
        """The chunk retriever and the question retriever, once loaded or built."""
        self._lock = threading.Lock()
        self._policy_index: bm25s.BM25 | None = None
        """BM25 over the policies, built on the first ticket no intent maps to a policy."""
        if not self._chunks:
            return
        stored = cache_dir / f"bm25-{self.digest}" if cache_dir is not None else None
        if stored is not None and (stored / "params.index.json").exists():
            self.loaded_from = stored
            return
        self._retrievers()
        if cache_dir is not None:
            self._store(cache_dir)

    def _retrievers(self) -> tuple[bm25s.BM25, bm25s.BM25 | None]:
        """The chunk retriever (loaded from ``loaded_from``, else built) and the question retriever."""
        if self._ready is None:
            with self._lock:
                if self._ready is None:
                    self._ready = self._load_or_build()
        return self._ready

    def _load_or_build(self) -> tuple[bm25s.BM25, bm25s.BM25 | None]:
        import bm25s

        questions: bm25s.BM25 | None = None
        if self._profiles:
            questions = bm25s.BM25()
            questions.index(_tokenize(self._profiles), show_progress=False)
        if self.loaded_from is not None:
            try:
                return bm25s.BM25.load(str(self.loaded_from), show_progress=False), questions
            except OSError:  # replaced since (another process indexed changed articles): build it here
                self.loaded_from = None
        retriever = bm25s.BM25()
        if self._chunks:
            retriever.index(_tokenize([index_text(c) for c in self._chunks]), show_progress=False)
        return retriever, questions

    def _store(self, cache_dir: Path) -> None:
        """Write beside, then rename into place, so a reader never sees half an index; drop old ones."""
        cache_dir.mkdir(parents=True, exist_ok=True)
        final = cache_dir / f"bm25-{self.digest}"
        partial = Path(tempfile.mkdtemp(prefix=".bm25-", dir=cache_dir))
        self._retrievers()[0].save(str(partial), show_progress=False)
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
        retriever, questions = self._retrievers()
        tokens = _tokenize([query])
        fetch = min(len(self._chunks), max(8 * k, 32))
        docs, scores = retriever.retrieve(tokens, k=fetch, show_progress=False)
        best: dict[str, tuple[float, int]] = {}
        for index, score in zip(docs[0], scores[0], strict=True):
            if score <= 0:
                break
            source = self._chunks[int(index)].source_id
            if source not in best:
                best[source] = (float(score), int(index))
        ranked = sorted(self._add_questions(best, questions, tokens).values(), key=lambda pair: -pair[0])
        passages: list[Passage] = []
        for score, index in ranked[:k]:
            c = self._chunks[index]
            title = f"{c.title} — {c.heading}" if c.heading else c.title
            passages.append(Passage(c.source_id, title, c.text, score, c.kind))
        return passages

    def _add_questions(
        self,
        best: dict[str, tuple[float, int]],
        questions: bm25s.BM25 | None,
        tokens: bm25s.tokenization.Tokenized,
    ) -> dict[str, tuple[float, int]]:
        """``best`` with each document's question score added, in the units of the best chunk's score.

        A document found only through its questions is represented by its first chunk.
        """
        if questions is None:
            return best
        docs, scores = questions.retrieve(tokens, k=len(self._asked), show_progress=False)
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

    def policies_for(self, intent: str | None, text: str = "") -> list[PolicyQuote]:
        if intent is None:  # no intent model (a workspace without labels), or routing had no sure intent
            return self._policy_about(text)
        named = [(p, intents) for p, intents in self._policies if intent in intents]
        # a policy that names fewer intents is more specific to this one
        named.sort(key=lambda pair: len(pair[1]))
        return [p for p, _ in named]

    def _policy_about(self, text: str) -> list[PolicyQuote]:
        """The one policy whose title and text share the most BM25 weight with ``text`` (none shares any:
        none), for tickets no intent maps to a policy."""
        if not text.strip() or not self._policies:
            return []
        if self._policy_index is None:
            import bm25s

            with self._lock:
                if self._policy_index is None:
                    index = bm25s.BM25()
                    corpus = [f"{p.title}. {p.title}. {p.text}" for p, _ in self._policies]
                    index.index(_tokenize(corpus), show_progress=False)
                    self._policy_index = index
        docs, scores = self._policy_index.retrieve(_tokenize([text]), k=1, show_progress=False)
        return [self._policies[int(docs[0][0])][0]] if float(scores[0][0]) > 0 else []
