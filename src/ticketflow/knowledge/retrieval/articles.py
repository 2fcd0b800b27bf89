"""Whole articles ranked by their words, their phrases and (with the embeddings extra) their meaning.

The index's BM25 scores an article by its best chunk, and the dense ranker by its nearest chunk: both read a
long article one section at a time. A help centre of hundreds of articles, many of them siblings ("the Oak
plan's late fees", "the Pine plan's late fees"), is often better ranked whole: the product a message names
and the topic it asks about sit in different sections of the one right article.

:class:`ArticleRanker` is a ``DocumentRanker`` that scores every article twice and adds the two:

- **words and phrases**: BM25 over the whole article (title and body), English stemming and stop words, with
  each pair of adjacent content words as one more term, so a product's name ("harbour saver account")
  counts as a phrase and not as three common words;
- **meaning** (when given an encoder): the cosine of the message to the article's embedding (title and body;
  all-MiniLM-L6-v2 reads the first 256 word pieces).

The two score scales are made comparable by standardising each over all articles for the query (mean 0,
standard deviation 1) and summed with equal weights: a score-level (convex) combination, which keeps how
far ahead a document is, where reciprocal-rank fusion keeps only its place (Bruch et al., 2023, "An
Analysis of Fusion Functions for Hybrid Retrieval"). Nothing is weighted or tuned.

Embeddings are stored under ``cache_dir`` (normally ``var/index/articles``) like the dense ranker's, and the
BM25 index is built on the first :meth:`rank`, so building an engine waits only for embeddings not stored.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from ticketflow.domain.context import Passage
from ticketflow.knowledge.encoder import MODEL_NAME, Encode
from ticketflow.knowledge.retrieval.chunking import Chunk
from ticketflow.knowledge.retrieval.dense import stored_embeddings

if TYPE_CHECKING:
    import bm25s
    import numpy as np


def article_text(title: str, body: str) -> str:
    """One article as both halves read it: its title, then its body (headings included)."""
    return f"{title}. {body}" if title else body


def phrase_terms(texts: Sequence[str]) -> list[list[str]]:
    """Each text's stemmed content words (English stop words out), then each adjacent pair as one term."""
    import bm25s

    from ticketflow.knowledge.retrieval.bm25 import _stemmer

    words = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return [[*w, *(f"{a} {b}" for a, b in pairwise(w))] for w in words]


def _standardised(scores: np.ndarray) -> np.ndarray:
    """``scores`` as z-scores over all articles; all equal (no evidence either way) gives zeros."""
    spread = float(scores.std())
    return (scores - scores.mean()) / spread if spread > 0 else scores * 0.0


class ArticleRanker:
    """A ``DocumentRanker``: whole articles by BM25 with phrases, plus their embedding when ``encode`` is set.

    Scores are each ranked article's summed z-score as a share of the best one's, so the best
    article scores 1; ``lexical`` is 0, since these scores are not the index's BM25 (the offline drafter's
    threshold reads the index's own).
    """

    def __init__(
        self,
        texts: Mapping[str, str],
        first_chunks: Mapping[str, Chunk],
        encode: Encode | None = None,
        *,
        cache_dir: Path | None = None,
        model: str = MODEL_NAME,
    ) -> None:
        """``texts``: per article id, the text to read (:func:`article_text`); ``first_chunks``: per article
        id, the chunk that shows it (the context stage swaps in the section the message's words find)."""
        self._documents = [d for d in texts if d in first_chunks]
        self._first = [first_chunks[d] for d in self._documents]
        self._texts = [texts[d] for d in self._documents]
        self._encode = encode
        self._lexical: bm25s.BM25 | None = None
        self._lock = threading.Lock()
        self.loaded_from: Path | None = None
        """The stored embeddings loaded whole, or None (embedded here, or no encoder)."""
        self.embedded = 0
        """How many articles were embedded when the ranker was built (0 when all were stored)."""
        self._vectors: np.ndarray | None = None
        if encode is not None and self._texts:
            self._vectors, self.loaded_from, self.embedded = stored_embeddings(
                self._texts, encode, model=model, cache_dir=cache_dir, prefix="articles"
            )

    def __len__(self) -> int:
        return len(self._documents)

    @property
    def dense(self) -> bool:
        """Whether the articles' embeddings take part (an encoder was given)."""
        return self._vectors is not None

    def _bm25(self) -> bm25s.BM25:
        if self._lexical is None:
            import bm25s

            with self._lock:
                if self._lexical is None:
                    index = bm25s.BM25()
                    index.index(phrase_terms(self._texts), show_progress=False)
                    self._lexical = index
        return self._lexical

    def scores(self, text: str) -> np.ndarray:
        """Every article's combined score for ``text`` (summed z-scores), in the order of the articles."""
        import numpy as np

        terms = phrase_terms([text])[0]
        words = np.asarray(self._bm25().get_scores(terms), dtype=np.float64) if terms else None
        halves = [] if words is None or not words.any() else [_standardised(words)]
        if self._vectors is not None and self._encode is not None:
            query = np.asarray(self._encode([text]), dtype=np.float32)[0]
            # einsum, not ``@``: see DenseRanker.rank (BLAS threads fight torch's for two cores)
            halves.append(_standardised(np.einsum("ij,j->i", self._vectors, query).astype(np.float64)))
        return np.sum(halves, axis=0) if halves else np.zeros(len(self._documents))

    def rank(self, text: str, k: int) -> list[Passage]:
        """Up to ``k`` articles for ``text``, best first, each shown by its first chunk (the context stage
        swaps in the section the message's words find).

        Only articles above the average for ``text`` are ranked, scored by their share of the best one's
        lead over the average (as BM25's share of its best score, which the context stage's relative cut
        reads); by words only, an article sharing no word or phrase with ``text`` is never among them.
        """
        if not self._documents or not text.strip() or k <= 0:
            return []
        import numpy as np

        combined = self.scores(text)
        best = float(combined.max())
        passages: list[Passage] = []
        for n in np.argsort(-combined, kind="stable")[:k]:
            if combined[n] <= 0:
                break
            c = self._first[int(n)]
            title = f"{c.title} — {c.heading}" if c.heading else c.title
            share = round(float(combined[n]) / best, 6)
            passages.append(Passage(c.source_id, title, c.text, share, c.kind, lexical=0.0))
        return passages
