"""Tests for ticketflow.knowledge.routing.familiarity: out of scope = unfamiliar to the intent model.

Synthetic intents: tight clusters of vectors in 16 dimensions, and a nearest-centroid "intent model" whose
margins are cosines to each class mean. No sentence encoder is needed.
"""

from __future__ import annotations

import numpy as np
import pytest

from ticketflow.knowledge.routing.familiarity import Familiarity, FamiliarityScope

DIM = 16
INTENTS = [f"intent_{i}" for i in range(8)]


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)  # type: ignore[no-any-return]


def _clusters(rng: np.random.Generator, per: int = 30) -> tuple[np.ndarray, list[str], np.ndarray]:
    centres = _unit(rng.normal(size=(len(INTENTS), DIM)))
    vectors = _unit(np.repeat(centres, per, axis=0) + 0.15 * rng.normal(size=(len(INTENTS) * per, DIM)))
    return vectors, [i for i in INTENTS for _ in range(per)], centres


def _nearest_centroid(vectors: np.ndarray, labels: list[str]):  # type: ignore[no-untyped-def]
    """A stand-in intent model: margins are cosines to the class means of the training rows."""
    names = np.array(labels)

    def fold_margins(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
        classes = tuple(sorted(set(names[train].tolist())))
        means = _unit(np.stack([vectors[train][names[train] == c].mean(axis=0) for c in classes]))
        return vectors[test] @ means.T, classes

    return fold_margins


def _fit(vectors: np.ndarray, labels: list[str], exclude: tuple[str, ...] = ()) -> Familiarity | None:
    fold_margins = _nearest_centroid(vectors, labels)
    classes = tuple(sorted(set(labels)))
    oof = np.empty((len(labels), len(classes)))
    for i in range(len(labels)):  # leave one out, for the cut
        others = np.array([j for j in range(len(labels)) if j != i])
        margins, seen = fold_margins(others, np.array([i]))
        oof[i] = [margins[0][seen.index(c)] for c in classes]
    return Familiarity.fit(vectors, labels, classes, oof, exclude=exclude)


@pytest.fixture(scope="module")
def world() -> tuple[Familiarity, np.ndarray, np.ndarray, tuple[str, ...]]:
    rng = np.random.default_rng(7)
    vectors, labels, centres = _clusters(rng)
    model = _fit(vectors, labels)
    assert model is not None
    return model, vectors, centres, tuple(sorted(set(labels)))


def _margins(vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return vectors @ centres.T  # type: ignore[no-any-return]


def test_a_message_off_every_cluster_is_flagged_and_new_ones_in_a_cluster_are_not(
    world: tuple[Familiarity, np.ndarray, np.ndarray, tuple[str, ...]],
) -> None:
    model, _, centres, _ = world
    rng = np.random.default_rng(99)
    near = _unit(np.repeat(centres, 5, axis=0) + 0.15 * rng.normal(size=(len(centres) * 5, DIM)))
    # between clusters and off their plane: no intent's mean is close
    far = _unit(rng.normal(size=(20, DIM)))
    cut = model.cut(0.02)

    near_scores = model.scores(near, _margins(near, centres))
    far_scores = model.scores(far, _margins(far, centres))

    assert (near_scores < cut).mean() <= 0.1
    assert (far_scores < cut).mean() >= 0.8
    assert np.median(far_scores) < np.median(near_scores)


def test_the_cut_is_the_quantile_of_the_training_examples_own_out_of_fold_scores(
    world: tuple[Familiarity, np.ndarray, np.ndarray, tuple[str, ...]],
) -> None:
    model, vectors, _, _ = world

    assert len(model.reference) == len(vectors)  # every training example, scored out of fold
    for quantile in (0.02, 0.1, 0.3):
        assert model.cut(quantile) == pytest.approx(float(np.quantile(model.reference, quantile)))
        assert (model.reference < model.cut(quantile)).mean() == pytest.approx(quantile, abs=0.01)
    assert model.cut(0.02) < model.cut(0.1) < model.cut(0.3)


def test_each_signal_weighs_by_its_own_in_scope_spread_so_its_units_do_not_matter() -> None:
    rng = np.random.default_rng(11)
    vectors, labels, centres = _clusters(rng)
    classes = tuple(sorted(set(labels)))
    fold_margins = _nearest_centroid(vectors, labels)
    oof = np.empty((len(labels), len(classes)))
    for i in range(len(labels)):
        margins, seen = fold_margins(np.array([j for j in range(len(labels)) if j != i]), np.array([i]))
        oof[i] = [margins[0][seen.index(c)] for c in classes]
    plain = Familiarity.fit(vectors, labels, classes, oof)
    scaled = Familiarity.fit(vectors, labels, classes, 10.0 * oof + 3.0)  # margins in other units
    assert plain is not None and scaled is not None
    probe = _unit(np.vstack([rng.normal(size=(20, DIM)), centres + 0.15 * rng.normal(size=centres.shape)]))
    margins = _margins(probe, centres)

    assert scaled.scores(probe, 10.0 * margins + 3.0) == pytest.approx(plain.scores(probe, margins))
    assert scaled.cut(0.02) == pytest.approx(plain.cut(0.02))
    # z-scores of the in-scope out-of-fold values: they average zero
    assert float(np.mean(plain.reference)) == pytest.approx(0.0, abs=1e-9)


def test_labels_that_are_not_intents_are_left_out_of_the_reference() -> None:
    rng = np.random.default_rng(3)
    vectors, labels, _ = _clusters(rng)
    labels = ["out_of_scope" if label == "intent_0" else label for label in labels]

    model = _fit(vectors, labels, exclude=("out_of_scope",))

    assert model is not None
    assert len(model.reference) == labels.count("intent_1") * (len(INTENTS) - 1)
    assert model.gaussians.means.shape == (len(INTENTS) - 1, DIM)


def test_too_few_intents_fit_no_detector() -> None:
    rng = np.random.default_rng(5)
    vectors, labels, _ = _clusters(rng, per=10)
    keep = [i for i, label in enumerate(labels) if label in INTENTS[:3]]

    assert _fit(vectors[keep], [labels[i] for i in keep]) is None


class _Scored:
    def __init__(self, score: float | None) -> None:
        self.score = score

    def familiarity_of(self, text: str) -> float | None:
        return self.score


def test_the_scope_calls_far_only_below_its_cut_and_never_without_a_detector() -> None:
    assert FamiliarityScope(_Scored(-3.0), cut=-2.0).far("anything") == -3.0
    assert FamiliarityScope(_Scored(-1.0), cut=-2.0).far("anything") is None
    assert FamiliarityScope(_Scored(None), cut=-2.0).far("anything") is None
