"""How familiar a message is to the intent model: out-of-scope detection over sentence embeddings.

Two signals, each weak alone where the other is strong:

- the intent model's strongest margin over the workspace's own intents (its "max logit"): low when no
  intent fits the words;
- the relative Mahalanobis distance of the message's sentence embedding (Ren et al., 2021): its distance
  to the nearest intent's mean under one covariance shared by all intents, minus its distance to a single
  Gaussian of every example. Plain Mahalanobis distance on an embedding the model was not fine-tuned for
  mostly measures how unusual a sentence is; subtracting the background keeps what is unusual *for an
  intent of ours*.

They are added as z-scores: each is standardised by its mean and spread over the workspace's own
examples scored out of fold (5 folds: the intent model's calibration margins, and Gaussians fitted
without the scored fold), so each signal weighs the same in units of how much it varies in scope. The cut
is stated in advance too: the ``quantile`` (2%, as the lexical density check) of that same out-of-fold
combined score, i.e. the share of our own examples that the rule would call out of scope. No out-of-scope
message, real or simulated, is seen: the fit needs nothing but the labelled examples.

An earlier version weighed the two by a logistic regression fitted on *pseudo out of scope* (groups of
intents held out, five more fits of the intent model). On CLINC150 (``docs/benchmarks.md``, "Out of scope
on CLINC150") it was about as good on held-out intents (recall 0.566 against 0.558 at the cut, within
noise), but weights fitted to intents of the same domain held out need not suit the out-of-scope
messages a workspace actually gets; equal z-scores assume nothing about them, and training is five fits
of the intent model cheaper.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

_FOLDS = 5
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
        *,
        exclude: Collection[str] = (),
    ) -> Familiarity | None:
        """Fitted on the training rows: ``oof_margins`` are the intent model's out-of-fold margins of every
        row (calibration's). None when the workspace has fewer than four intents of its own, or too few
        examples per intent to hold any out."""
        import numpy as np

        all_labels = np.asarray(labels)
        ours = np.flatnonzero(~np.isin(all_labels, list(exclude)))
        intents = np.unique(all_labels[ours])
        oof_splits = _splits(all_labels[ours], 13)
        if len(intents) < _MIN_INTENTS or oof_splits is None:
            return None
        # in scope, out of fold: what standardises each signal, and where the cut comes from
        relative = np.empty(len(ours))
        for train, test in oof_splits:
            relative[test] = Gaussians.fit(vectors[ours[train]], all_labels[ours[train]]).relative_distance(
                vectors[ours[test]]
            )
        reference = np.column_stack([_max_margin(oof_margins[ours], classes, exclude), relative])
        mean, scale = reference.mean(axis=0), reference.std(axis=0)
        scale[scale == 0] = 1.0
        weights = 1.0 / (scale * reference.shape[1])  # the mean of the two z-scores
        bias = float(-(weights @ mean))
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
