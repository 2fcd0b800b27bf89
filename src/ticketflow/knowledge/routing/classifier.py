"""A small, fast text classifier (scikit-learn) for intents and tone, trained from labelled tickets.

Word 1–2-grams and character 2–5-grams (TF-IDF) feed a linear SVM, one-vs-rest. The SVM's margins are
turned into probabilities by temperature scaling, fitted on out-of-fold margins (k-fold inside the training
data), so a confidence of 0.8 means the model is right about four times in five on tickets it has not seen.
The same out-of-fold predictions choose the ``unsure`` threshold: the cut that minimises human reads plus
``error_cost`` × wrong automatic intents (see :func:`choose_unsure_threshold`).

Why a linear SVM and not logistic regression: on the Bitext file it is as accurate or better, and it trains
about 30× faster, which keeps a 10k-example, 77-intent taxonomy trainable in seconds (``docs/benchmarks.md``).

Prediction of one ticket skips scikit-learn's per-call validation: the fitted vectorizers' analyzers,
vocabularies and idf weights are applied directly, which gives the same numbers in a fraction of the time
(routing has a 2 ms budget). Models live under the workspace's ``var/models/`` and are reused while the
training data is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from ticketflow.errors import ConfigError
from ticketflow.knowledge.vectors import TfidfRows

DEFAULT_UNSURE = 0.35
"""Used only when the training data is too small to choose a threshold from out-of-fold predictions."""
ERROR_COST = 2.0
"""A wrong automatic intent costs as much as this many human reads: below the chosen threshold the model is
wrong at least half the time (with calibrated probabilities the cut lands near ``1 - 1/ERROR_COST``)."""
_FOLDS = 5
_LARGE = 5000
_FORMAT = 2


def fingerprint(texts: Sequence[str], labels: Sequence[str]) -> str:
    """A digest of the training data, so a stored model is reused only for the same data."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(json.dumps([text, label]).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Calibration:
    """What the out-of-fold predictions taught: how to scale margins, and where to stop trusting them."""

    temperature: float = 1.0
    unsure_threshold: float = DEFAULT_UNSURE
    oof_accuracy: float | None = None
    label_thresholds: tuple[tuple[str, float], ...] = ()
    """Per-label cuts on that label's probability (maximising its out-of-fold F1), when asked for."""


def _pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)),
        ]
    )
    return Pipeline([("features", features), ("clf", LinearSVC(C=0.5, max_iter=5000))])


def _fit(texts: Sequence[str], labels: Sequence[str]) -> Pipeline:
    model = _pipeline()
    with warnings.catch_warnings():
        # liblinear may stop a hair short of its tolerance on tiny or duplicated data; the fit is still usable
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(list(texts), list(labels))
    return model


def _margins(model: Pipeline, texts: Sequence[str]) -> np.ndarray:
    """Margins as an (n, classes) array; a binary SVM's single margin ``s`` becomes ``[0, s]``."""
    scores = np.asarray(model.decision_function(list(texts)), dtype=float)
    if scores.ndim == 1:
        return np.column_stack([np.zeros_like(scores), scores])
    return scores


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    scaled = scores / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def _out_of_fold(texts: Sequence[str], labels: Sequence[str], classes: tuple[str, ...]) -> tuple[Any, Any]:
    """Margins of every example from a model that did not see it, and the gold column; None if too small."""
    counts = Counter(labels)
    folds = _FOLDS if len(texts) <= _LARGE else 3  # enough held-out errors either way; 40% less training
    k = min(folds, min(counts.values()))
    splitter: Any
    if k >= 2:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=13)
    elif len(texts) >= 2 * folds:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=13)
    else:
        return None, None
    column = {c: i for i, c in enumerate(classes)}
    gold = np.array([column[label] for label in labels])
    margins = np.full((len(texts), len(classes)), np.nan)
    for train, test in splitter.split(np.zeros(len(labels)), list(labels)):
        fold_labels = [labels[i] for i in train]
        if len(set(fold_labels)) < 2:
            continue
        model = _fit([texts[i] for i in train], fold_labels)
        fold_scores = _margins(model, [texts[i] for i in test])
        rows = np.full((len(test), len(classes)), fold_scores.min() - 10.0)
        for j, c in enumerate(model.classes_):
            rows[:, column[str(c)]] = fold_scores[:, j]
        seen = {column[str(c)] for c in model.classes_}
        keep = np.array([gold[i] in seen for i in test])
        margins[np.asarray(test)[keep]] = rows[keep]
    usable = ~np.isnan(margins).any(axis=1)
    if usable.sum() < 10:
        return None, None
    return margins[usable], gold[usable]


def fit_temperature(margins: np.ndarray, gold: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``softmax(margins / T)``."""
    picked = margins[np.arange(len(gold)), gold]

    def nll(log_t: float) -> float:
        scaled = margins / math.exp(log_t)
        top = scaled.max(axis=1)
        log_z = top + np.log(np.exp(scaled - top[:, None]).sum(axis=1))
        return float(np.mean(log_z - picked / math.exp(log_t)))

    found = minimize_scalar(nll, bounds=(-6.0, 3.0), method="bounded")
    return float(math.exp(found.x))


def choose_unsure_threshold(confidence: np.ndarray, correct: np.ndarray, error_cost: float) -> float:
    """The confidence cut minimising ``humans + error_cost × wrong automatic decisions`` on held-out data.

    Tickets below the cut go to a person (cost 1 each); above it, each wrong intent costs ``error_cost``.
    Ties go to the lower cut (more automation for the same cost).
    """
    order = np.argsort(confidence)
    conf, right = confidence[order], correct[order].astype(bool)
    wrong_above = np.concatenate([np.cumsum((~right)[::-1])[::-1], [0]])  # wrong with index >= i
    costs = np.arange(len(conf) + 1) + error_cost * wrong_above
    best = int(np.argmin(costs))
    if best == 0:
        return 0.0
    if best == len(conf):
        return float(conf[-1]) + 1e-6
    return float((conf[best - 1] + conf[best]) / 2)


def _best_f1_cut(probability: np.ndarray, positive: np.ndarray) -> float:
    """The probability cut that maximises F1 of the positive class on held-out predictions."""
    order = np.argsort(-probability)
    p, pos = probability[order], positive[order].astype(bool)
    tp = np.cumsum(pos)
    predicted = np.arange(1, len(p) + 1)
    f1 = 2 * tp / (predicted + pos.sum())
    best = int(np.argmax(f1))
    below = p[best + 1] if best + 1 < len(p) else 0.0
    return float((p[best] + below) / 2)


class _FastText:
    """The fitted feature union and SVM applied to one text without scikit-learn's per-call overhead."""

    def __init__(self, model: Pipeline) -> None:
        union: FeatureUnion = model.named_steps["features"]
        self._rows = TfidfRows.from_fitted([vectorizer for _, vectorizer in union.transformer_list])
        clf: LinearSVC = model.named_steps["clf"]
        self._coef = np.ascontiguousarray(clf.coef_.T)  # (features, classes): rows gathered per text
        self._intercept = np.asarray(clf.intercept_, dtype=float)

    def margins(self, text: str) -> np.ndarray:
        columns, weights = self._rows.blocks_row(text)
        scores = weights @ self._coef[columns] + self._intercept if columns else self._intercept.copy()
        if scores.shape[0] == 1:
            return np.array([0.0, float(scores[0])])
        return scores


class TextClassifier:
    """An ``IntentClassifier``: ``predict(text) -> (label, calibrated probability)``."""

    def __init__(
        self,
        pipeline: Pipeline,
        labels: tuple[str, ...],
        data_fingerprint: str,
        calibration: Calibration | None = None,
    ) -> None:
        self._pipeline = pipeline
        self.labels = labels
        self.fingerprint = data_fingerprint
        self.calibration = calibration or Calibration()
        self._fast = _FastText(pipeline)

    @property
    def unsure_threshold(self) -> float:
        """Below this confidence a prediction is more costly to trust than to hand to a person."""
        return self.calibration.unsure_threshold

    def threshold_for(self, label: str) -> float | None:
        """The out-of-fold F1-optimal cut on ``label``'s probability, if training was asked for it."""
        return dict(self.calibration.label_thresholds).get(label)

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        error_cost: float = ERROR_COST,
        threshold_for: Sequence[str] = (),
    ) -> TextClassifier:
        """Fit on all the data, after calibrating on k-fold out-of-fold margins of the same data."""
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        counts = Counter(labels)
        if len(counts) < 2:
            raise ConfigError(f"training needs at least two distinct labels, got {sorted(counts)}")
        model = _fit(texts, labels)
        classes = tuple(str(c) for c in model.classes_)
        calibration = Calibration()
        margins, gold = _out_of_fold(texts, labels, classes)
        if margins is not None:
            temperature = fit_temperature(margins, gold)
            probabilities = _softmax(margins, temperature)
            best = probabilities.argmax(axis=1)
            correct = best == gold
            cuts = tuple(
                (
                    label,
                    round(
                        _best_f1_cut(probabilities[:, classes.index(label)], gold == classes.index(label)), 4
                    ),
                )
                for label in threshold_for
                if label in classes
            )
            calibration = Calibration(
                temperature=temperature,
                unsure_threshold=round(
                    choose_unsure_threshold(probabilities.max(axis=1), correct, error_cost), 4
                ),
                oof_accuracy=float(correct.mean()),
                label_thresholds=cuts,
            )
        return cls(model, classes, fingerprint(texts, labels), calibration)

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated probabilities of every label (in ``labels`` order) for one text."""
        return _softmax(self._fast.margins(text), self.calibration.temperature)

    def predict(self, text: str) -> tuple[str, float]:
        probabilities = self.probabilities(text)
        best = int(np.argmax(probabilities))
        return self.labels[best], float(probabilities[best])

    def predict_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        if not texts:
            return []
        probabilities = _softmax(_margins(self._pipeline, texts), self.calibration.temperature)
        best = probabilities.argmax(axis=1)
        return [(self.labels[int(b)], float(row[int(b)])) for b, row in zip(best, probabilities, strict=True)]

    def probability_of(self, text: str, label: str) -> float:
        if label not in self.labels:
            return 0.0
        return float(self.probabilities(text)[self.labels.index(label)])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {
                "format": _FORMAT,
                "pipeline": self._pipeline,
                "labels": self.labels,
                "fingerprint": self.fingerprint,
                "calibration": self.calibration,
            },
            path,
        )

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        try:
            data = joblib.load(path)
            if data.get("format") != _FORMAT:
                raise ValueError("saved by an older version of ticketflow")
            return cls(data["pipeline"], tuple(data["labels"]), str(data["fingerprint"]), data["calibration"])
        except Exception as exc:
            raise ConfigError(
                f"{path}: cannot load the model ({exc}); retrain with `ticketflow train`"
            ) from exc
