"""Messages as vectors to cluster: sentence embeddings when the extra is installed, else TF-IDF in LSA.

TF-IDF (words and word pairs, sublinear counts, English stop words dropped) is always computed too: it names
the clusters by their distinguishing terms, whichever vectors clustered them. Numbers, email addresses and
links are removed before counting, so no cluster forms around an order number or a customer's address.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

Encode = Callable[[Sequence[str]], np.ndarray]
"""Texts to unit-length vectors, one row per text (the embeddings extra's sentence encoder)."""

LSA_DIMENSIONS = 100
"""Latent dimensions of TF-IDF vectors (the usual order for short texts; fewer when there is less data)."""

_NOISE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\d+")


def _plain(text: str) -> str:
    return _NOISE.sub(" ", text.lower())


@dataclass(frozen=True, slots=True)
class Features:
    """Every message as TF-IDF (for naming) and as the unit vectors that are clustered."""

    tfidf: sparse.csr_matrix
    terms: tuple[str, ...]
    vectors: np.ndarray
    kind: str
    """``embeddings`` or ``tfidf``."""


def featurise(texts: Sequence[str], encode: Encode | None = None) -> Features:
    """TF-IDF of ``texts`` and the vectors to cluster: ``encode``'s when given, else TF-IDF reduced by LSA."""
    tfidf, terms = _tfidf(texts)
    if encode is not None:
        return Features(tfidf, terms, np.asarray(encode(list(texts)), dtype=float), "embeddings")
    dimensions = min(LSA_DIMENSIONS, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if dimensions < 2:
        dense = np.asarray(tfidf.toarray(), dtype=float)
        return Features(tfidf, terms, normalize(dense), "tfidf")
    reduced = TruncatedSVD(dimensions, random_state=0).fit_transform(tfidf)
    return Features(tfidf, terms, normalize(reduced), "tfidf")


def _tfidf(texts: Sequence[str]) -> tuple[sparse.csr_matrix, tuple[str, ...]]:
    common = {"sublinear_tf": True, "ngram_range": (1, 2), "preprocessor": _plain}
    for options in (
        {"min_df": 2 if len(texts) >= 50 else 1, "stop_words": "english"},
        {"min_df": 1, "stop_words": None},
    ):
        vectorizer = TfidfVectorizer(**common, **options)
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # nothing but stop words (or numbers): try again keeping every word
            continue
        return sparse.csr_matrix(matrix), tuple(vectorizer.get_feature_names_out())
    return sparse.csr_matrix((len(texts), 1)), ("",)
