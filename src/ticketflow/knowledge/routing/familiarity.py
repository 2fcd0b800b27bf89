"""How familiar a message is to the intent model: out-of-scope detection over sentence embeddings.

Two signals, each weak alone where the other is strong:

- the intent model's strongest margin over the workspace's own intents (its "max logit"): low when no
  intent fits the words;
- the relative Mahalanobis distance of the message's sentence embedding (Ren et al., 2021): its distance
  to the nearest intent's mean under one covariance shared by all intents, minus its distance to a single
  Gaussian of every example. Plain Mahalanobis distance on an embedding the model was not fine-tuned for
  mostly measures how unusual a sentence is; subtracting the background keeps what is unusual *for an
  intent of ours*.

A logistic regression combines them, and it never sees an out-of-scope message: its negatives are
*pseudo out-of-scope*, the examples of intents held out from training. The intents are split into five
groups; for each, a model trained on 80% of the other intents' examples scores the remaining 20% (in
scope, unseen) and every example of the held-out group (intents it never learned). The cut is stated in
advance too: the ``quantile`` (2%, as the lexical density check) of the combined score over in-scope
examples scored out of fold, i.e. the examples of our own that the rule would call out of scope.

On CLINC150 (``docs/benchmarks.md``, "Out of scope on CLINC150") this was chosen among nine scores on the
training queries alone, before any validation query was scored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias

if TYPE_CHECKING:
    import numpy as np

FoldMargins: TypeAlias = "Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, tuple[str, ...]]]"
"""Train the intent model on the rows ``train`` and return its margins for the rows ``test`` (one column
per class, in the order of the classes returned with them)."""

GROUPS = 5
_FOLDS = 5
_SEED = 16
_MIN_INTENTS = 4


@dataclass(frozen=True, slots=True, eq=False)
class Gaussians:
    """One Gaussian per intent with a shared (Ledoit-Wolf) covariance, and one over all examples."""

    means: np.ndarray
    """(intents, dim)"""
    precision: np.ndarray
    weighted_means: np.ndarray
    """``means @ precision``"""
    offsets: np.ndarray
    """``μᵀ P μ`` per intent"""
    background: np.ndarray
    background_precision: np.ndarray

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: np.ndarray) -> Gaussians:
        import numpy as np
        from sklearn.covariance import LedoitWolf

        intents, rows = np.unique(labels, return_inverse=True)
        means = np.stack([vectors[rows == i].mean(axis=0) for i in range(len(intents))])
        precision = LedoitWolf().fit(vectors - means[rows]).precision_
        background = vectors.mean(axis=0)
        background_precision = LedoitWolf().fit(vectors - background).precision_
        weighted = means @ precision
        offsets = (weighted * means).sum(axis=1)
        return cls(means, precision, weighted, offsets, background, background_precision)

    def relative_distance(self, vectors: np.ndarray) -> np.ndarray:
        """Minus (distance to the nearest intent − distance to the background): higher is more familiar."""
        projected = vectors @ self.precision
        own = (projected * vectors).sum(axis=1)
        nearest = (own[:, None] - 2.0 * vectors @ self.weighted_means.T + self.offsets[None, :]).min(axis=1)
        centred = vectors - self.background
        background = ((centred @ self.background_precision) * centred).sum(axis=1)
        return -(nearest - background)  # type: ignore[no-any-return]


def _max_margin(margins: np.ndarray, classes: Sequence[str], exclude: Collection[str]) -> np.ndarray:
    import numpy as np

    keep = [j for j, c in enumerate(classes) if c not in exclude]
    return np.asarray(margins, dtype=float)[:, keep].max(axis=1)  # type: ignore[no-any-return]


def _splits(labels: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Stratified k-fold splits of ``labels`` (k up to 5, as small as the rarest label needs); None if < 2."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    k = min(_FOLDS, min(Counter(labels.tolist()).values()))
    if k < 2:
        return None
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), labels))


@dataclass(frozen=True, slots=True, eq=False)
class Familiarity:
    """The fitted detector (``scores(vectors, margins)``) and the in-scope out-of-fold scores of its cut.

    ``classes`` are the intent model's labels (the columns of ``margins``); ``exclude`` the ones that are not
    intents of ours (``out_of_scope``), left out of the max margin and the Gaussians.
    """

    classes: tuple[str, ...]
    exclude: frozenset[str]
    gaussians: Gaussians
    weights: np.ndarray
    """per raw feature: (max margin, relative Mahalanobis)"""
    bias: float
    reference: np.ndarray
    """the combined score of every in-scope example, scored out of fold, sorted"""

    def cut(self, quantile: float) -> float:
        """The score below which ``quantile`` of the workspace's own examples (out of fold) fall."""
        import numpy as np

        return float(np.quantile(self.reference, quantile))

    def scores(self, vectors: np.ndarray, margins: np.ndarray) -> np.ndarray:
        """Higher is more familiar; one per row of ``vectors`` and ``margins``."""
        import numpy as np

        features = np.column_stack(
            [_max_margin(margins, self.classes, self.exclude), self.gaussians.relative_distance(vectors)]
        )
        return features @ self.weights + self.bias  # type: ignore[no-any-return]

    @classmethod
    def fit(
        cls,
        vectors: np.ndarray,
        labels: Sequence[str],
        classes: tuple[str, ...],
        oof_margins: np.ndarray,
        fold_margins: FoldMargins,
        *,
        exclude: Collection[str] = (),
    ) -> Familiarity | None:
        """Fitted on the training rows: ``oof_margins`` are the intent model's out-of-fold margins of every
        row (calibration's), ``fold_margins`` trains it on other subsets. None when the workspace has fewer
        than four intents of its own, or too few examples per intent to hold any out."""
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        all_labels = np.asarray(labels)
        ours = np.flatnonzero(~np.isin(all_labels, list(exclude)))
        others = np.flatnonzero(np.isin(all_labels, list(exclude)))
        intents = np.unique(all_labels[ours])
        oof_splits = _splits(all_labels[ours], 13)
        if len(intents) < _MIN_INTENTS or oof_splits is None:
            return None
        # in scope, out of fold, with the calibration's margins: where the cut comes from
        relative = np.empty(len(ours))
        for train, test in oof_splits:
            relative[test] = Gaussians.fit(vectors[ours[train]], all_labels[ours[train]]).relative_distance(
                vectors[ours[test]]
            )
        reference = np.column_stack([_max_margin(oof_margins[ours], classes, exclude), relative])
        # pseudo out of scope: whole groups of intents held out
        rows: list[np.ndarray] = []
        unseen: list[np.ndarray] = []
        shuffled = np.random.default_rng(_SEED).permutation(intents)
        for g, held in enumerate(np.array_split(shuffled, min(GROUPS, len(intents) // 2))):
            inside = ours[~np.isin(all_labels[ours], held)]
            outside = ours[np.isin(all_labels[ours], held)]
            split = _splits(all_labels[inside], g)
            if split is None:
                continue
            train, seen = inside[split[0][0]], inside[split[0][1]]
            test = np.concatenate([seen, outside])
            margins, fold_classes = fold_margins(np.concatenate([train, others]), test)
            gaussians = Gaussians.fit(vectors[train], all_labels[train])
            rows.append(
                np.column_stack(
                    [_max_margin(margins, fold_classes, exclude), gaussians.relative_distance(vectors[test])]
                )
            )
            unseen.append(np.arange(len(test)) >= len(seen))
        if not rows:
            return None
        features, target = np.concatenate(rows), ~np.concatenate(unseen)
        mean, scale = features.mean(axis=0), features.std(axis=0)
        scale[scale == 0] = 1.0
        combiner = LogisticRegression(class_weight="balanced", max_iter=1000)
        combiner.fit((features - mean) / scale, target)
        weights = combiner.coef_[0] / scale
        bias = float(combiner.intercept_[0] - weights @ mean)
        return cls(
            classes,
            frozenset(exclude),
            Gaussians.fit(vectors[ours], all_labels[ours]),
            weights,
            bias,
            np.sort(reference @ weights + bias),
        )


class Familiar(Protocol):
    """An intent model that can say how familiar a message is (see :class:`Familiarity`)."""

    def familiarity_of(self, text: str) -> float | None:
        """The message's familiarity score, or None when the model has no detector fitted."""
        ...


class FamiliarityScope:
    """A ``ScopeModel``: a message is out of scope when its familiarity falls below the quantile cut."""

    measure = "familiarity"

    def __init__(self, model: Familiar, cut: float) -> None:
        self._model = model
        self._cut = cut

    @property
    def cut(self) -> float:
        """The familiarity below which a message is out of scope."""
        return self._cut

    def far(self, text: str) -> float | None:
        """``text``'s familiarity when it is below the cut (out of scope), else None."""
        score = self._model.familiarity_of(text)
        return score if score is not None and score < self._cut else None
