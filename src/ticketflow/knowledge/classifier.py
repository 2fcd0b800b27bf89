"""A small, fast text classifier (scikit-learn) for intents and tone, trained from labelled tickets.

Word 1–2-grams and character 2–5-grams feed a multinomial logistic regression, whose probabilities are
well calibrated enough to threshold (``routing.unsure_threshold``). Models live under the workspace's
``var/models/`` and are reused while the training data is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from ticketflow.errors import ConfigError


def fingerprint(texts: Sequence[str], labels: Sequence[str]) -> str:
    """A digest of the training data, so a stored model is reused only for the same data."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(json.dumps([text, label]).encode())
    return digest.hexdigest()[:16]


class TextClassifier:
    """An ``IntentClassifier``: ``predict(text) -> (label, probability)``."""

    def __init__(self, pipeline: Pipeline, labels: tuple[str, ...], data_fingerprint: str) -> None:
        self._pipeline = pipeline
        self.labels = labels
        self.fingerprint = data_fingerprint

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str]) -> TextClassifier:
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        counts = Counter(labels)
        if len(counts) < 2:
            raise ConfigError(f"training needs at least two distinct labels, got {sorted(counts)}")
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1),
                ),
            ]
        )
        model = Pipeline([("features", features), ("clf", LogisticRegression(C=20.0, max_iter=2000))])
        model.fit(list(texts), list(labels))
        return cls(model, tuple(str(c) for c in model.classes_), fingerprint(texts, labels))

    def predict(self, text: str) -> tuple[str, float]:
        probabilities = self._pipeline.predict_proba([text])[0]
        best = int(np.argmax(probabilities))
        return self.labels[best], float(probabilities[best])

    def predict_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        if not texts:
            return []
        probabilities = self._pipeline.predict_proba(list(texts))
        best = probabilities.argmax(axis=1)
        return [(self.labels[int(b)], float(row[int(b)])) for b, row in zip(best, probabilities, strict=True)]

    def probability_of(self, text: str, label: str) -> float:
        if label not in self.labels:
            return 0.0
        return float(self._pipeline.predict_proba([text])[0][self.labels.index(label)])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {"pipeline": self._pipeline, "labels": self.labels, "fingerprint": self.fingerprint}, path
        )

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        try:
            data = joblib.load(path)
            return cls(data["pipeline"], tuple(data["labels"]), str(data["fingerprint"]))
        except Exception as exc:
            raise ConfigError(
                f"{path}: cannot load the model ({exc}); retrain with `ticketflow train`"
            ) from exc
