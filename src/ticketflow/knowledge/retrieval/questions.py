"""Articles ranked by the questions they answer: nearest customer phrasings, word and character n-grams.

Every article comes with the questions it answers in customers' words (``workspace.article_questions``: the
labelled tickets, canned examples and ``intents.yaml`` phrasings of the intents its front matter names). A
message is compared with each of them (cosine of word 1–2-gram and character 2–5-gram TF-IDF vectors, as the
intent model reads text), and an article scores the mean of its ``top`` closest questions: one stray
phrasing does not carry an article, several close ones do.

This is a second opinion beside BM25, not a replacement: BM25 reads the article's own words, this reads how
customers ask for it, so "I need to see where my compensation is" finds the refund-status article through
its phrasings even when neither the article nor routing's intent uses those words. The context stage fuses
the two rankings by reciprocal rank (``knowledge.fusion``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ticketflow.domain.context import Passage
from ticketflow.knowledge.retrieval.chunking import Chunk
from ticketflow.knowledge.vectors import TfidfRows

if TYPE_CHECKING:
    import numpy as np
    from scipy.sparse import csr_matrix

TOP = 3
"""An article's score is the mean similarity of its this-many closest questions."""


@dataclass(frozen=True, slots=True)
class _Fitted:
    rows: TfidfRows
    by_term: csr_matrix
    """(terms, questions): a message's terms select rows, whose weighted sum is every cosine at once."""
    top: np.ndarray
    """Per document, how many of its closest questions its score averages."""
    grid: np.ndarray
    """Question numbers laid out one document per row, padded with a column that is always 0."""


class NearestQuestions:
    """A ``DocumentRanker``: documents ordered by how close the message is to their questions.

    The vectors are fitted on the first :meth:`rank`, so building an engine does not wait for them.
    """

    def __init__(
        self, questions: Mapping[str, Sequence[str]], first_chunks: Mapping[str, Chunk], *, top: int = TOP
    ) -> None:
        """``questions``: per document id, the questions it answers; ``first_chunks``: per document id, the
        chunk shown when this ranking alone found the document (the context stage usually picks a better one
        by the message's words)."""
        self._asked = {d: list(dict.fromkeys(q)) for d, q in questions.items() if q and d in first_chunks}
        self._documents = sorted(self._asked)
        self._chunks = dict(first_chunks)
        self._top_n = max(1, top)
        self._fitted: _Fitted | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._documents)

    def _ready(self) -> _Fitted:
        if self._fitted is None:
            with self._lock:
                if self._fitted is None:
                    self._fitted = self._fit()
        return self._fitted

    def _fit(self) -> _Fitted:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [q for d in self._documents for q in self._asked[d]]
        rows, matrix = TfidfRows.fit_rows(
            texts,
            (
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            ),
        )
        counts = [len(self._asked[d]) for d in self._documents]
        starts = np.cumsum([0, *counts[:-1]])
        grid = np.full((len(counts), max(counts)), len(texts))
        for n, (start, count) in enumerate(zip(starts, counts, strict=True)):
            grid[n, :count] = np.arange(start, start + count)
        return _Fitted(rows, matrix.T.tocsr(), np.minimum(counts, self._top_n), grid)

    def rank(self, text: str, k: int) -> list[Passage]:
        """The ``k`` documents whose questions are closest to ``text``, best first (score = similarity)."""
        if not self._documents or not text.strip() or k <= 0:
            return []
        import numpy as np

        fitted = self._ready()
        columns, values = fitted.rows.row(text)
        if not columns:
            return []
        similarity = np.append(fitted.by_term[columns].T @ values, 0.0)  # the padding column's 0 last
        closest = -np.sort(-similarity[fitted.grid], axis=1)
        width = closest.shape[1]
        taken = np.arange(width)[None, :] < fitted.top[:, None]
        scores = (closest * taken).sum(axis=1) / fitted.top
        passages = []
        for n in sorted(range(len(scores)), key=lambda i: (-scores[i], self._documents[i]))[:k]:
            if scores[n] <= 0:
                break
            document = self._documents[n]
            c = self._chunks[document]
            title = f"{c.title} — {c.heading}" if c.heading else c.title
            passages.append(Passage(document, title, c.text, float(scores[n]), c.kind, lexical=0.0))
        return passages
