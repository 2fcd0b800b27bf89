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

A saved model comes with a small JSON file beside it (labels, fingerprint, calibration, and a digest of the
model file), so loading one reads only that: the model itself, and scikit-learn, which takes a second to
import, are loaded on the first prediction. Without the JSON file, or when it does not describe the model
file next to it, the model is loaded at once as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import tempfile
import threading
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ticketflow.errors import ConfigError
from ticketflow.knowledge.routing.report import TrainingReport, training_report
from ticketflow.knowledge.vectors import TfidfRows

if TYPE_CHECKING:
    import numpy as np
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

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
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)),
        ]
    )
    return Pipeline([("features", features), ("clf", LinearSVC(C=0.5, max_iter=5000))])


def _fit(texts: Sequence[str], labels: Sequence[str]) -> Pipeline:
    from sklearn.exceptions import ConvergenceWarning

    model = _pipeline()
    with warnings.catch_warnings():
        # liblinear may stop a hair short of its tolerance on tiny or duplicated data; the fit is still usable
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(list(texts), list(labels))
    return model


def _margins(model: Pipeline, texts: Sequence[str]) -> np.ndarray:
    """Margins as an (n, classes) array; a binary SVM's single margin ``s`` becomes ``[0, s]``."""
    import numpy as np

    scores = np.asarray(model.decision_function(list(texts)), dtype=float)
    if scores.ndim == 1:
        return np.column_stack([np.zeros_like(scores), scores])
    return scores


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    import numpy as np

    scaled = scores / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def _out_of_fold(texts: Sequence[str], labels: Sequence[str], classes: tuple[str, ...]) -> tuple[Any, Any]:
    """Margins of every example from a model that did not see it, and the gold column; None if too small."""
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold

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
    import numpy as np
    from scipy.optimize import minimize_scalar

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
    import numpy as np

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
    import numpy as np

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
        import numpy as np

        union: FeatureUnion = model.named_steps["features"]
        self._rows = TfidfRows.from_fitted([vectorizer for _, vectorizer in union.transformer_list])
        clf: LinearSVC = model.named_steps["clf"]
        self._coef = np.ascontiguousarray(clf.coef_.T)  # (features, classes): rows gathered per text
        self._intercept = np.asarray(clf.intercept_, dtype=float)

    def margins(self, text: str) -> np.ndarray:
        import numpy as np

        columns, weights = self._rows.blocks_row(text)
        scores = weights @ self._coef[columns] + self._intercept if columns else self._intercept.copy()
        if scores.shape[0] == 1:
            return np.array([0.0, float(scores[0])])
        return scores


class TextClassifier:
    """An ``IntentClassifier``: ``predict(text) -> (label, calibrated probability)``."""

    def __init__(
        self,
        pipeline: Pipeline | None,
        labels: tuple[str, ...],
        data_fingerprint: str,
        calibration: Calibration | None = None,
        *,
        stored: Path | None = None,
    ) -> None:
        """A fitted ``pipeline``; or None and the model file it is to be read from (``stored``) when first
        needed (:meth:`load`)."""
        self.labels = labels
        self.fingerprint = data_fingerprint
        self.calibration = calibration or Calibration()
        self._stored = stored
        self._model: tuple[Pipeline, _FastText] | None = None
        self._lock = threading.Lock()
        self._last: tuple[str, np.ndarray] | None = None  # routing asks twice about one text
        self.report: TrainingReport | None = None
        """What training measured (set by :meth:`train`; a model loaded from disk has none)."""
        self.out_of_fold: tuple[np.ndarray, np.ndarray] | None = None
        """Training's out-of-fold probabilities and gold class indices (not stored with the model)."""
        if pipeline is not None:
            self._model = (pipeline, _FastText(pipeline))
        elif stored is None:
            raise ValueError("a TextClassifier needs a fitted pipeline or the file it is stored in")

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
        report = training_report(labels, classes, None, None, None)
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
            report = training_report(labels, classes, probabilities, gold, calibration.unsure_threshold)
        trained = cls(model, classes, fingerprint(texts, labels), calibration)
        trained.report = report
        trained.out_of_fold = (probabilities, gold) if margins is not None else None
        return trained

    def _fitted(self) -> tuple[Pipeline, _FastText]:
        """The pipeline and its fast path, read from the model file on first use."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._read()
        return self._model

    def _read(self) -> tuple[Pipeline, _FastText]:
        assert self._stored is not None  # __init__ made sure
        pipeline, labels, data_fingerprint, _ = _read_model(self._stored)
        if (labels, data_fingerprint) != (self.labels, self.fingerprint):
            raise ConfigError(
                f"{self._stored}: the model file changed since it was loaded; retrain with `ticketflow train`"
            )
        return pipeline, _FastText(pipeline)

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated probabilities of every label (in ``labels`` order) for one text."""
        last = self._last
        if last is not None and last[0] == text:
            return last[1]
        probabilities = _softmax(self._fitted()[1].margins(text), self.calibration.temperature)
        probabilities.flags.writeable = False  # shared with the next caller asking about the same text
        self._last = (text, probabilities)
        return probabilities

    def predict(self, text: str) -> tuple[str, float]:
        probabilities = self.probabilities(text)
        best = int(probabilities.argmax())
        return self.labels[best], float(probabilities[best])

    def predict_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        if not texts:
            return []
        probabilities = _softmax(_margins(self._fitted()[0], texts), self.calibration.temperature)
        best = probabilities.argmax(axis=1)
        return [(self.labels[int(b)], float(row[int(b)])) for b, row in zip(best, probabilities, strict=True)]

    def probability_of(self, text: str, label: str) -> float:
        if label not in self.labels:
            return 0.0
        return float(self.probabilities(text)[self.labels.index(label)])

    def save(self, path: Path) -> None:
        """The model at ``path`` (joblib) and, beside it, what :meth:`load` reads without loading it."""
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {
                "format": _FORMAT,
                "pipeline": self._fitted()[0],
                "labels": self.labels,
                "fingerprint": self.fingerprint,
                "calibration": self.calibration,
            },
            path,
        )
        self._summarise(path)

    def _summarise(self, path: Path) -> None:
        """Write what :meth:`load` needs to know about the model file ``path`` beside it."""
        summary = {
            "format": _FORMAT,
            "labels": list(self.labels),
            "fingerprint": self.fingerprint,
            "calibration": dataclasses.asdict(self.calibration),
            "model_sha256": _file_digest(path),
            "scikit_learn": _sklearn_version(),
        }
        handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(summary))
        os.replace(partial, _summary_path(path))  # readers see the old summary or the new, never half

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        """The model saved at ``path``; read when first used if its summary file describes it.

        A model without a summary (saved by an older version, or its summary is stale) is read now, and
        gets a summary, so the next process starts without reading it.
        """
        summary = _read_summary(path)
        if summary is not None:
            labels, data_fingerprint, calibration = summary
            return cls(None, labels, data_fingerprint, calibration, stored=path)
        model = cls(*_read_model(path))
        with contextlib.suppress(OSError):  # a read-only models folder: start-up stays as slow as it was
            model._summarise(path)
        return model


def _read_model(path: Path) -> tuple[Pipeline, tuple[str, ...], str, Calibration]:
    """What :meth:`TextClassifier.save` wrote at ``path``; ``ConfigError`` naming the file otherwise."""
    import joblib

    try:
        data = joblib.load(path)
        if data.get("format") != _FORMAT:
            raise ValueError("saved by an older version of ticketflow")
        return data["pipeline"], tuple(data["labels"]), str(data["fingerprint"]), data["calibration"]
    except Exception as exc:
        raise ConfigError(f"{path}: cannot load the model ({exc}); retrain with `ticketflow train`") from exc


def _summary_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _sklearn_version() -> str:
    """The installed scikit-learn, from its metadata (importing it would cost the second we save)."""
    return metadata.version("scikit-learn")


def _read_summary(path: Path) -> tuple[tuple[str, ...], str, Calibration] | None:
    """Labels, fingerprint and calibration from the summary beside ``path``, if it describes that file.

    None (load the model itself) when there is no summary, it is unreadable or of another format, the model
    file is not the one it was written for, or scikit-learn has changed since (the pickle may not load).
    """
    try:
        summary = json.loads(_summary_path(path).read_text(encoding="utf-8"))
        if (
            summary["format"] != _FORMAT
            or summary["scikit_learn"] != _sklearn_version()
            or summary["model_sha256"] != _file_digest(path)
        ):
            return None
        c = summary["calibration"]
        calibration = Calibration(
            temperature=float(c["temperature"]),
            unsure_threshold=float(c["unsure_threshold"]),
            oof_accuracy=None if c["oof_accuracy"] is None else float(c["oof_accuracy"]),
            label_thresholds=tuple((str(label), float(cut)) for label, cut in c["label_thresholds"]),
        )
        return tuple(str(label) for label in summary["labels"]), str(summary["fingerprint"]), calibration
    except (OSError, ValueError, KeyError, TypeError):
        return None
