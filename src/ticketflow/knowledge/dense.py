"""Hybrid retrieval: BM25 fused with dense sentence embeddings by reciprocal rank (the embeddings extra).

BM25 finds an article only through words it shares with the message; a sentence embedding also finds it
through meaning ("has my stuff shipped" near "Track your order"). Each side ranks the documents on its own,
and the two rankings are fused by reciprocal rank: a document's score is Σ 1 / (``rrf_k`` + its rank) over
the rankings that hold it (the standard ``rrf_k`` = 60), so neither side's score scale has to be matched to
the other's.

The dense side embeds every chunk once (title, heading and text) and, optionally, the questions each article
answers in customers' words (the same ``questions`` the BM25 index is given); a document's dense score is its
best cosine similarity over its chunks and its questions. The query is embedded as given, routed-intent words
included. The passage shown for a document is the one BM25 chose when BM25 found the document, else its
closest chunk.

``Passage.score`` is the fused score divided by the best one possible (first in both rankings), so it lies in
(0, 1]: about 1 when both sides put the document first, 0.5 for a document first on one side only. This is
not BM25's scale: ``context.relative_score`` and ``context.min_retrieval_score`` must be set for it.

The embeddings are stored under ``cache_dir`` (normally ``var/index``) under a hash of every embedded text and
the model's name, and reused while neither changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ticketflow.domain.context import Passage, PolicyQuote
from ticketflow.knowledge.bm25 import Bm25Index, content_hash
from ticketflow.knowledge.chunking import Chunk
from ticketflow.knowledge.embeddings import MODEL_NAME, Encode

DENSE_VERSION = "1"
"""Bump when ``embed_text`` changes, so stored embeddings are rebuilt."""
RRF_K = 60
DEPTH = 50


def embed_text(chunk: Chunk) -> str:
    """What the encoder sees for a chunk: its document title, its heading and its text."""
    return ". ".join(part for part in (chunk.title, chunk.heading, chunk.text) if part)


def _title(chunk: Chunk) -> str:
    return f"{chunk.title} — {chunk.heading}" if chunk.heading else chunk.title


class HybridIndex:
    """A ``KnowledgeIndex``: BM25 and dense document rankings fused by reciprocal rank.

    ``chunks`` must be the chunks ``bm25`` was built from (checked by digest). ``questions``: per document
    id, questions it answers; ``None`` embeds chunks only. ``depth``: how many documents each side ranks
    before fusion. ``model`` names the encoder in the cache key.
    """

    def __init__(
        self,
        bm25: Bm25Index,
        chunks: Sequence[Chunk],
        encode: Encode,
        *,
        questions: Mapping[str, Sequence[str]] | None = None,
        rrf_k: int = RRF_K,
        depth: int = DEPTH,
        cache_dir: Path | None = None,
        model: str = MODEL_NAME,
    ) -> None:
        if content_hash(chunks) != bm25.digest:
            raise ValueError("HybridIndex needs the chunks its BM25 index was built from")
        self._bm25 = bm25
        self._chunks = list(chunks)
        self._encode = encode
        self._rrf_k = rrf_k
        self._depth = depth
        self._documents = list(dict.fromkeys(c.source_id for c in self._chunks))
        number = {d: n for n, d in enumerate(self._documents)}
        asked = [(d, q) for d in self._documents for q in dict.fromkeys((questions or {}).get(d, ()))]
        texts = [embed_text(c) for c in self._chunks] + [q for _, q in asked]
        self._owner = np.array(
            [number[c.source_id] for c in self._chunks] + [number[d] for d, _ in asked], dtype=np.intp
        )
        self._chunks_of = {
            d: np.flatnonzero(self._owner[: len(self._chunks)] == n) for d, n in number.items()
        }
        digest = hashlib.sha256(f"{DENSE_VERSION}\0{model}".encode())
        digest.update(json.dumps(texts).encode())
        self.digest = digest.hexdigest()[:20]
        self.loaded_from: Path | None = None
        """The stored embeddings that were loaded, or None when they were computed in this process."""
        self._vectors = self._embeddings(texts, cache_dir)

    def _embeddings(self, texts: list[str], cache_dir: Path | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        stored = cache_dir / f"dense-{self.digest}.npy" if cache_dir is not None else None
        if stored is not None and stored.exists():
            try:
                loaded = np.asarray(np.load(stored, allow_pickle=False), dtype=np.float32)
            except (OSError, ValueError):  # unreadable: compute again and overwrite it
                loaded = np.zeros((0, 0), dtype=np.float32)
            if loaded.ndim == 2 and loaded.shape[0] == len(texts):
                self.loaded_from = stored
                return loaded
        vectors = np.asarray(self._encode(texts), dtype=np.float32)
        if cache_dir is not None:
            self._store(cache_dir, vectors)
        return vectors

    def _store(self, cache_dir: Path, vectors: np.ndarray) -> None:
        """Write beside, then rename into place, so a reader never sees half a file; drop old ones."""
        cache_dir.mkdir(parents=True, exist_ok=True)
        final = cache_dir / f"dense-{self.digest}.npy"
        handle, partial = tempfile.mkstemp(prefix=".dense-", suffix=".npy", dir=cache_dir)
        with os.fdopen(handle, "wb") as out:
            np.save(out, vectors, allow_pickle=False)
        os.replace(partial, final)
        for old in cache_dir.glob("dense-*.npy"):
            if old != final:
                old.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self._chunks)

    def search(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best documents of the fused ranking, best first, one passage each."""
        if not self._chunks or not query.strip() or k <= 0:
            return []
        lexical = {p.source_id: p for p in self._bm25.search(query, self._depth)}
        dense, similarity = self._dense_ranking(query)
        fused: dict[str, float] = {}
        for ranking in (list(lexical), dense):
            for rank, source in enumerate(ranking, start=1):
                fused[source] = fused.get(source, 0.0) + 1.0 / (self._rrf_k + rank)
        best_possible = 2.0 / (self._rrf_k + 1)
        # sorted() is stable and ``fused`` lists BM25's documents first, so ties keep BM25's order
        ranked = sorted(fused, key=lambda source: -fused[source])[:k]
        passages: list[Passage] = []
        for source in ranked:
            score = fused[source] / best_possible
            if source in lexical:
                found = lexical[source]
                passages.append(Passage(found.source_id, found.title, found.text, score, found.kind))
            else:
                own = self._chunks_of[source]
                c = self._chunks[int(own[np.argmax(similarity[own])])]
                passages.append(Passage(c.source_id, _title(c), c.text, score, c.kind))
        return passages

    def _dense_ranking(self, query: str) -> tuple[list[str], np.ndarray]:
        """The ``depth`` documents nearest to ``query``, nearest first; the similarity of every row."""
        vector = np.asarray(self._encode([query]), dtype=np.float32)[0]
        similarity = self._vectors @ vector
        best = np.full(len(self._documents), -np.inf, dtype=np.float32)
        np.maximum.at(best, self._owner, similarity)
        order = np.argsort(-best, kind="stable")[: self._depth]
        return [self._documents[int(n)] for n in order], similarity

    def policies_for(self, intent: str | None) -> list[PolicyQuote]:
        return self._bm25.policies_for(intent)
