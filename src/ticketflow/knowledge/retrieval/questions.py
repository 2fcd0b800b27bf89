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

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ticketflow.domain.context import Passage
from ticketflow.knowledge.retrieval.chunking import Chunk
from ticketflow.knowledge.vectors import TfidfRows

TOP = 3
"""An article's score is the mean similarity of its this-many closest questions."""


class NearestQuestions:
    """A ``DocumentRanker``: documents ordered by how close the message is to their questions."""

    def __init__(
        self, questions: Mapping[str, Sequence[str]], first_chunks: Mapping[str, Chunk], *, top: int = TOP
    ) -> None:
        """``questions``: per document id, the questions it answers; ``first_chunks``: per document id, the
        chunk shown when this ranking alone found the document (the context stage usually picks a better one
        by the message's words)."""
        asked = {d: list(dict.fromkeys(q)) for d, q in questions.items() if q and d in first_chunks}
        self._documents = sorted(asked)
        self._chunks = dict(first_chunks)
        texts = [q for d in self._documents for q in asked[d]]
        self._rows: TfidfRows | None = None
        if not texts:
            return
        self._rows, matrix = TfidfRows.fit_rows(
            texts,
            (
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            ),
        )
        self._by_term = matrix.T.tocsr()
        """(terms, questions): a message's terms select rows, whose weighted sum is every cosine at once."""
        counts = [len(asked[d]) for d in self._documents]
        self._top = np.minimum(counts, max(1, top))
        # question numbers laid out one document per row, padded with a column that is always 0
        starts = np.cumsum([0, *counts[:-1]])
        self._grid = np.full((len(counts), max(counts)), len(texts))
        for n, (start, count) in enumerate(zip(starts, counts, strict=True)):
            self._grid[n, :count] = np.arange(start, start + count)

    def __len__(self) -> int:
        return len(self._documents)

    def rank(self, text: str, k: int) -> list[Passage]:
        """The ``k`` documents whose questions are closest to ``text``, best first (score = similarity)."""
        if self._rows is None or not text.strip() or k <= 0:
            return []
        columns, values = self._rows.row(text)
        if not columns:
            return []
        similarity = np.append(self._by_term[columns].T @ values, 0.0)  # the padding column's 0 last
        closest = -np.sort(-similarity[self._grid], axis=1)
        width = closest.shape[1]
        taken = np.arange(width)[None, :] < self._top[:, None]
        scores = (closest * taken).sum(axis=1) / self._top
        passages = []
        for n in sorted(range(len(scores)), key=lambda i: (-scores[i], self._documents[i]))[:k]:
            if scores[n] <= 0:
                break
            document = self._documents[n]
            c = self._chunks[document]
            title = f"{c.title} — {c.heading}" if c.heading else c.title
            passages.append(Passage(document, title, c.text, float(scores[n]), c.kind, lexical=0.0))
        return passages
