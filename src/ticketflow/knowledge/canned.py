"""Canned answers matched by nearest neighbour over their example phrasings, with a calibrated threshold.

Each canned answer in ``rules.yaml`` lists example questions; labelled tickets of the same intent
(``examples.jsonl``) add more. A message is matched to its most similar example (cosine of word and
character n-gram TF-IDF vectors). The similarity threshold is not guessed: it is the lowest cut at which
the matches are at least ``target_precision`` right on held-out checks, where each example is matched
against the others (leave-one-out; right = same intent) and every ticket whose answer is *not* canned is
matched too (any match is wrong). See :func:`calibrate`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ticketflow.domain.rules import CannedMatch

TARGET_PRECISION = 0.95
_NEVER = 1.01
"""A threshold no cosine reaches: used when the data cannot support any cut."""


@dataclass(frozen=True, slots=True)
class _Vectors:
    analyzers: tuple[tuple[Callable[[str], list[str]], dict[str, int], np.ndarray, int], ...]
    width: int

    def row(self, text: str) -> tuple[list[int], np.ndarray]:
        columns: list[int] = []
        weights: list[float] = []
        for analyze, vocabulary, idf, offset in self.analyzers:
            counts = Counter(t for t in analyze(text) if t in vocabulary)
            if not counts:
                continue
            local = np.fromiter((vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
            values = (np.log(np.fromiter(counts.values(), dtype=float, count=len(counts))) + 1.0) * idf[local]
            values /= np.sqrt(values @ values)
            columns.extend((local + offset).tolist())
            weights.extend(values.tolist())
        vector = np.asarray(weights)
        norm = float(np.sqrt(vector @ vector)) if len(vector) else 0.0
        return columns, vector / norm if norm else vector

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.width))
        for i, text in enumerate(texts):
            columns, values = self.row(text)
            out[i, columns] = values
        return out


def _fit_vectors(texts: Sequence[str]) -> _Vectors:
    parts = []
    offset = 0
    for vectorizer in (
        TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    ):
        vectorizer.fit(list(texts))
        vocabulary: dict[str, int] = vectorizer.vocabulary_
        parts.append((vectorizer.build_analyzer(), vocabulary, vectorizer.idf_, offset))
        offset += len(vocabulary)
    return _Vectors(tuple(parts), offset)


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
        self._vectors = _fit_vectors([*texts, *corpus])
        self._examples = tuple(texts)
        self._intents = tuple(intents)
        self._matrix = self._vectors.matrix(texts)
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
        sims: list[float] = []
        right: list[bool] = []
        for i in range(len(texts)):  # leave-one-out: the nearest *other* example
            row = probe._matrix @ probe._matrix[i]
            row[i] = -1.0
            best = int(np.argmax(row))
            sims.append(float(row[best]))
            right.append(intents[best] == intents[i])
        for text in others:
            _, similarity = probe._nearest(text)
            sims.append(similarity)
            right.append(False)
        threshold = calibrate(np.asarray(sims), np.asarray(right), target_precision)
        return cls(texts, intents, threshold, corpus=others)

    def _nearest(self, text: str) -> tuple[int, float]:
        columns, values = self._vectors.row(text)
        if not columns:
            return 0, 0.0
        scores = self._matrix[:, columns] @ values
        best = int(np.argmax(scores))
        return best, float(scores[best])

    def match(self, text: str) -> CannedMatch | None:
        best, similarity = self._nearest(text)
        if similarity < self.threshold:
            return None
        return CannedMatch(self._intents[best], self._examples[best], round(similarity, 4))
