"""Canned answers matched by nearest neighbour over their example phrasings, with a calibrated threshold.

Each canned answer in ``rules.yaml`` lists example questions; labelled tickets of the same intent
(``examples.jsonl``) add more. A message is matched to its most similar example (cosine of word and
character n-gram TF-IDF vectors). The similarity threshold is not guessed: it is the lowest cut at which
the matches are at least ``target_precision`` right on held-out checks, where each example is matched
against the others (leave-one-out; right = same intent) and every ticket whose answer is *not* canned is
matched too (any match is wrong). See :func:`calibrate`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ticketflow.domain.rules import CannedMatch
from ticketflow.knowledge.vectors import TfidfRows

if TYPE_CHECKING:
    import numpy as np
    from scipy.sparse import csr_matrix

TARGET_PRECISION = 0.95
WITHOUT_NEGATIVES = 0.75
"""The least cut when no text of another intent is known (a workspace with no labelled tickets yet): the
canned examples alone cannot show where a match turns wrong, so only close rephrasings of them match."""
_NEVER = 1.01
"""A threshold no cosine reaches: used when the data cannot support any cut."""


def _fit_vectors(texts: Sequence[str]) -> tuple[TfidfRows, csr_matrix]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfRows.fit_rows(
        texts,
        (
            TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
        ),
    )


def calibrate(similarity: np.ndarray, right: np.ndarray, target_precision: float = TARGET_PRECISION) -> float:
    """The lowest similarity cut whose matches (similarity ≥ cut) are at least ``target_precision`` right."""
    import numpy as np

    order = np.argsort(-similarity)
    sims, ok = similarity[order], right[order].astype(bool)
    precision = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    good = np.nonzero(precision >= target_precision)[0]
    if len(good) == 0 or not ok.any():
        return _NEVER
    last = int(good[-1])
    below = sims[last + 1] if last + 1 < len(sims) else 0.0
    return float(round((sims[last] + below) / 2, 4))


@dataclass(frozen=True, slots=True)
class _Fitted:
    """The example vectors, indexed by term, and the similarity cut."""

    vectors: TfidfRows
    by_term: csr_matrix
    """(terms, examples): a message's terms select rows, whose weighted sum is every cosine at once."""
    threshold: float


class CannedMatcher:
    """An ``AnswerMatcher``: the canned intent of the nearest example phrasing, if similar enough.

    The vectors are fitted (and the threshold calibrated) on the first match, not when the matcher is made:
    a few hundred milliseconds that engine start-up need not wait for.
    """

    def __init__(
        self,
        texts: Sequence[str],
        intents: Sequence[str],
        threshold: float | None,
        *,
        corpus: Sequence[str] = (),
        target_precision: float = TARGET_PRECISION,
    ) -> None:
        """``corpus``: texts whose answer is not canned; ``threshold`` None calibrates it on them (see
        :func:`calibrate` and :meth:`build`)."""
        self._examples = tuple(texts)
        self._intents = tuple(intents)
        self._corpus = tuple(corpus)
        self._threshold = threshold
        self._target_precision = target_precision
        self._fitted: _Fitted | None = None
        self._lock = threading.Lock()

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
        return cls(texts, intents, None, corpus=others, target_precision=target_precision)

    @property
    def threshold(self) -> float:
        """The similarity a message needs to its nearest example to be matched."""
        return self._ready().threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        with self._lock:
            self._threshold = value
            if self._fitted is not None:
                self._fitted = dataclasses.replace(self._fitted, threshold=value)

    def _ready(self) -> _Fitted:
        if self._fitted is None:
            with self._lock:
                if self._fitted is None:
                    self._fitted = self._fit()
        return self._fitted

    def _fit(self) -> _Fitted:
        # idf from every text we have, so words common to all tickets ("how do I", "my") weigh little
        vectors, rows = _fit_vectors([*self._examples, *self._corpus])
        matrix = rows[: len(self._examples)]
        by_term = matrix.T.tocsr()
        threshold = self._threshold
        if threshold is None:
            threshold = self._calibrate(matrix, by_term, rows[len(self._examples) :])
            if not self._corpus:
                threshold = max(threshold, WITHOUT_NEGATIVES)
        return _Fitted(vectors, by_term, threshold)

    def _calibrate(self, matrix: csr_matrix, by_term: csr_matrix, corpus: csr_matrix) -> float:
        """The cut from held-out matches: each example against the others, and every corpus text."""
        import numpy as np

        # leave-one-out: each example's nearest *other* example
        pairs = (matrix @ by_term).toarray()
        np.fill_diagonal(pairs, -1.0)
        nearest = pairs.argmax(axis=1)
        sims: list[float] = pairs[np.arange(len(self._examples)), nearest].tolist()
        intents = self._intents
        right: list[bool] = [intents[int(b)] == intent for b, intent in zip(nearest, intents, strict=True)]
        if self._corpus:  # every match of a ticket whose answer is not canned is wrong
            sims.extend((corpus @ by_term).max(axis=1).toarray().ravel().tolist())
            right.extend([False] * len(self._corpus))
        return calibrate(np.asarray(sims), np.asarray(right), self._target_precision)

    def _nearest(self, text: str) -> tuple[int, float]:
        import numpy as np

        fitted = self._ready()
        columns, values = fitted.vectors.row(text)
        if not columns:
            return 0, 0.0
        scores = fitted.by_term[columns].T @ values
        best = int(np.argmax(scores))
        return best, float(scores[best])

    def match(self, text: str) -> CannedMatch | None:
        best, similarity = self._nearest(text)
        if similarity < self.threshold:
            return None
        return CannedMatch(self._intents[best], self._examples[best], round(similarity, 4))
