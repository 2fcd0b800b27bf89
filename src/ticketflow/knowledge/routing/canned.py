"""Canned answers matched by nearest neighbour over their example phrasings, with a calibrated threshold.

Each canned answer in ``rules.yaml`` lists example questions; labelled tickets of the same intent
(``examples.jsonl``) add more. A message is matched to its most similar example (cosine of word and
character n-gram TF-IDF vectors). The similarity threshold is not guessed: it is the lowest cut at which
the matches are at least ``target_precision`` right on held-out checks, where each example is matched
against the others (leave-one-out; right = same intent) and every ticket whose answer is *not* canned is
matched too (any match is wrong). See :func:`calibrate`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

from ticketflow.domain.rules import CannedMatch
from ticketflow.knowledge.vectors import TfidfRows

TARGET_PRECISION = 0.95
_NEVER = 1.01
"""A threshold no cosine reaches: used when the data cannot support any cut."""


def _fit_vectors(texts: Sequence[str]) -> tuple[TfidfRows, csr_matrix]:
    return TfidfRows.fit_rows(
        texts,
        (
            TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
        ),
    )


def calibrate(similarity: np.ndarray, right: np.ndarray, target_precision: float = TARGET_PRECISION) -> float:
    """The lowest similarity cut whose matches (similarity ≥ cut) are at least ``target_precision`` right."""
    order = np.argsort(-similarity)
    sims, ok = similarity[order], right[order].astype(bool)
    precision = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    good = np.nonzero(precision >= target_precision)[0]
    if len(good) == 0 or not ok.any():
        return _NEVER
    last = int(good[-1])
    below = sims[last + 1] if last + 1 < len(sims) else 0.0
    return float(round((sims[last] + below) / 2, 4))


class CannedMatcher:
    """An ``AnswerMatcher``: the canned intent of the nearest example phrasing, if similar enough."""

    def __init__(
        self, texts: Sequence[str], intents: Sequence[str], threshold: float, *, corpus: Sequence[str] = ()
    ) -> None:
        # idf from every text we have, so words common to all tickets ("how do I", "my") weigh little
        self._vectors, rows = _fit_vectors([*texts, *corpus])
        self._examples = tuple(texts)
        self._intents = tuple(intents)
        self._matrix = rows[: len(texts)]
        self._corpus = rows[len(texts) :]
        self._by_term = self._matrix.T.tocsr()
        """(terms, examples): a message's terms select rows, whose weighted sum is every cosine at once."""
        self.threshold = threshold

    @classmethod
    def build(
        cls,
        examples: Sequence[tuple[str, str]],
        others: Sequence[str],
        *,
        target_precision: float = TARGET_PRECISION,
    ) -> CannedMatcher | None:
        """From ``(text, canned intent)`` phrasings and texts whose answer is not canned; None if none."""
        if not examples:
            return None
        texts = [t for t, _ in examples]
        intents = [i for _, i in examples]
        probe = cls(texts, intents, _NEVER, corpus=others)
        # leave-one-out: each example's nearest *other* example
        pairs = (probe._matrix @ probe._by_term).toarray()
        np.fill_diagonal(pairs, -1.0)
        nearest = pairs.argmax(axis=1)
        sims: list[float] = pairs[np.arange(len(texts)), nearest].tolist()
        right: list[bool] = [intents[int(b)] == intent for b, intent in zip(nearest, intents, strict=True)]
        if others:  # every match of a ticket whose answer is not canned is wrong
            sims.extend((probe._corpus @ probe._by_term).max(axis=1).toarray().ravel().tolist())
            right.extend([False] * len(others))
        probe.threshold = calibrate(np.asarray(sims), np.asarray(right), target_precision)
        return probe

    def _nearest(self, text: str) -> tuple[int, float]:
        columns, values = self._vectors.row(text)
        if not columns:
            return 0, 0.0
        scores = self._by_term[columns].T @ values
        best = int(np.argmax(scores))
        return best, float(scores[best])

    def match(self, text: str) -> CannedMatch | None:
        best, similarity = self._nearest(text)
        if similarity < self.threshold:
            return None
        return CannedMatch(self._intents[best], self._examples[best], round(similarity, 4))
