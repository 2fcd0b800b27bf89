"""Tests for ticketflow.evals.metrics: hand-computed examples, edge cases, parity with numpy/scikit-learn."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from ticketflow.evals.metrics import (
    PrecisionRecall,
    accuracy,
    binary_pr,
    confusion,
    escalation_scores,
    macro_f1,
    p50_p95,
    percentile,
    round_floats,
)

GOLD_LABELS = ["account", "billing", "bug", "other", "refund"]
NEVER_IN_GOLD = "spam"
SEEDS = [0, 1, 7, 42, 2024]


def _random_labels(seed: int) -> tuple[list[str], list[str]]:
    """A few hundred gold labels and noisy predictions that sometimes use a label absent from gold."""
    rng = random.Random(seed)
    n = rng.randint(200, 400)
    gold = [rng.choice(GOLD_LABELS) for _ in range(n)]
    pred = [g if rng.random() < 0.6 else rng.choice([*GOLD_LABELS, NEVER_IN_GOLD]) for g in gold]
    return gold, pred


def _random_bools(seed: int) -> tuple[list[bool], list[bool]]:
    """A few hundred gold/predicted booleans, correlated so scores are neither 0 nor 1."""
    rng = random.Random(seed)
    n = rng.randint(200, 400)
    gold = [rng.random() < 0.3 for _ in range(n)]
    pred = [g if rng.random() < 0.7 else rng.random() < 0.5 for g in gold]
    return gold, pred


# --- percentile / p50_p95 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0.0, 1.0), (25.0, 1.75), (50.0, 2.5), (95.0, 3.85), (100.0, 4.0)],
)
def test_percentile_hand_computed(q: float, expected: float) -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], q) == pytest.approx(expected)


def test_percentile_single_value_and_empty() -> None:
    assert percentile([7.5], 95.0) == 7.5
    assert percentile([], 50.0) == 0.0


@pytest.mark.parametrize("q", [-0.1, 100.1, math.nan])
def test_percentile_rejects_q_out_of_range(q: float) -> None:
    with pytest.raises(ValueError, match="q must be in"):
        percentile([1.0, 2.0], q)


@pytest.mark.parametrize("seed", SEEDS)
def test_percentile_matches_numpy(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.uniform(0.0, 5000.0) for _ in range(rng.randint(1, 300))]
    for q in [0.0, 1.0, 5.0, 25.0, 33.3, 50.0, 66.7, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0]:
        expected = float(np.percentile(values, q, method="linear"))
        assert percentile(values, q) == pytest.approx(expected, rel=1e-12, abs=1e-12), q


def test_p50_p95_hand_computed_and_rounded() -> None:
    assert p50_p95([1.0, 2.0, 3.0, 4.0]) == {"p50": 2.5, "p95": 3.85}
    # p50 = 0.3456, p95 = 0.1234 + 0.95 * 0.4444 = 0.54558
    assert p50_p95([0.5678, 0.1234]) == {"p50": 0.346, "p95": 0.546}


def test_p50_p95_empty() -> None:
    assert p50_p95([]) == {"p50": 0.0, "p95": 0.0}


# --- accuracy ---------------------------------------------------------------------------------------------


def test_accuracy_hand_computed() -> None:
    assert accuracy(["a", "b", "c", "a"], ["a", "c", "c", "b"]) == 0.5
    assert accuracy(["a", "b"], ["a", "b"]) == 1.0
    assert accuracy(["a", "b"], ["b", "a"]) == 0.0


def test_accuracy_empty_and_length_mismatch() -> None:
    assert accuracy([], []) == 0.0
    with pytest.raises(ValueError, match="differ in length"):
        accuracy(["a", "b"], ["a"])


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_matches_sklearn(seed: int) -> None:
    gold, pred = _random_labels(seed)
    assert accuracy(gold, pred) == pytest.approx(float(accuracy_score(gold, pred)))


# --- macro_f1 ---------------------------------------------------------------------------------------------


def test_macro_f1_hand_computed_with_label_never_in_gold() -> None:
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "x", "c"]
    # a: tp=1 fp=0 fn=1 -> 2/3; b: tp=1 fp=1 fn=1 -> 1/2; c: 1.0; "x" adds no class.
    assert macro_f1(gold, pred) == pytest.approx((2 / 3 + 1 / 2 + 1.0) / 3)


def test_macro_f1_gold_class_never_predicted_scores_zero() -> None:
    # a: tp=1 fp=1 fn=0 -> 2/3; b: never predicted -> 0.
    assert macro_f1(["a", "b"], ["a", "a"]) == pytest.approx((2 / 3 + 0.0) / 2)


def test_macro_f1_perfect_empty_and_length_mismatch() -> None:
    assert macro_f1(["a", "b", "a"], ["a", "b", "a"]) == 1.0
    assert macro_f1([], []) == 0.0
    with pytest.raises(ValueError, match="differ in length"):
        macro_f1(["a"], [])


@pytest.mark.parametrize("seed", SEEDS)
def test_macro_f1_matches_sklearn(seed: int) -> None:
    gold, pred = _random_labels(seed)
    assert NEVER_IN_GOLD in pred
    expected = f1_score(gold, pred, average="macro", labels=sorted(set(gold)), zero_division=0)
    assert macro_f1(gold, pred) == pytest.approx(float(expected))


# --- confusion --------------------------------------------------------------------------------------------


def test_confusion_hand_computed_sparse_and_sorted() -> None:
    gold = ["c", "b", "a", "b", "a"]
    pred = ["c", "x", "b", "b", "a"]
    result = confusion(gold, pred)
    assert result == {"a": {"a": 1, "b": 1}, "b": {"b": 1, "x": 1}, "c": {"c": 1}}
    assert list(result) == ["a", "b", "c"]
    assert list(result["b"]) == ["b", "x"]


def test_confusion_empty_and_length_mismatch() -> None:
    assert confusion([], []) == {}
    with pytest.raises(ValueError, match="differ in length"):
        confusion(["a"], ["a", "b"])


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matches_sklearn(seed: int) -> None:
    gold, pred = _random_labels(seed)
    labels = sorted(set(gold) | set(pred))
    matrix = confusion_matrix(gold, pred, labels=labels)
    expected = {
        g: {p: int(matrix[i][j]) for j, p in enumerate(labels) if matrix[i][j]}
        for i, g in enumerate(labels)
        if matrix[i].sum()
    }
    result = confusion(gold, pred)
    assert result == expected
    assert list(result) == sorted(result)
    assert all(list(row) == sorted(row) for row in result.values())


# --- binary_pr --------------------------------------------------------------------------------------------


def test_binary_pr_hand_computed() -> None:
    gold = [True, True, True, False, False]
    pred = [True, False, True, True, False]
    # tp=2 fp=1 fn=1
    result = binary_pr(gold, pred)
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(2 / 3)
    assert result.f1 == pytest.approx(2 / 3)
    assert result.support == 3


def test_binary_pr_unequal_precision_and_recall() -> None:
    # tp=1 fp=0 fn=3 -> precision 1, recall 1/4, f1 = 2 * 1 * 0.25 / 1.25 = 0.4
    result = binary_pr([True, True, True, True, False], [True, False, False, False, False])
    assert (result.precision, result.recall, result.support) == (1.0, 0.25, 4)
    assert result.f1 == pytest.approx(0.4)


def test_binary_pr_nothing_predicted_positive() -> None:
    assert binary_pr([True, False], [False, False]) == PrecisionRecall(0.0, 0.0, 1, 0.0)


def test_binary_pr_no_gold_positives() -> None:
    assert binary_pr([False, False], [True, False]) == PrecisionRecall(0.0, 0.0, 0, 0.0)


def test_binary_pr_empty_and_length_mismatch() -> None:
    assert binary_pr([], []) == PrecisionRecall(0.0, 0.0, 0, 0.0)
    with pytest.raises(ValueError, match="differ in length"):
        binary_pr([True], [True, False])


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_pr_matches_sklearn(seed: int) -> None:
    gold, pred = _random_bools(seed)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=[True], average=None, zero_division=0
    )
    result = binary_pr(gold, pred)
    assert result.precision == pytest.approx(float(precision[0]))
    assert result.recall == pytest.approx(float(recall[0]))
    assert result.f1 == pytest.approx(float(f1[0]))
    assert result.support == int(support[0])


# --- escalation_scores ------------------------------------------------------------------------------------

ESC = "escalate"
GOLD_ROUTES: list[str | None] = [ESC, ESC, ESC, "auto", "auto", ESC, None, "auto"]
GOLD_REASONS: list[str | None] = ["legal", "refund", "legal", None, None, "angry", "vip", None]
PRED_ROUTES: list[str | None] = [ESC, ESC, "auto", ESC, "auto", ESC, "auto", "auto"]
PRED_REASONS: list[str | None] = ["legal", "legal", None, "fraud", None, "angry", None, "legal"]


def test_escalation_scores_hand_computed() -> None:
    result = escalation_scores(GOLD_ROUTES, PRED_ROUTES, GOLD_REASONS, PRED_REASONS)
    # gold escalations {0,1,2,5}, predicted {0,1,3,5}, both {0,1,5}
    assert result["precision"] == pytest.approx(3 / 4)
    assert result["recall"] == pytest.approx(3 / 4)
    assert result["by_reason"] == {
        # gold {5}, pred {5}
        "angry": {"precision": 1.0, "recall": 1.0, "support": 1},
        # gold {}, pred {3}
        "fraud": {"precision": 0.0, "recall": 0.0, "support": 0},
        # gold {0,2}; pred {0,1} (record 7 names legal but is not escalated)
        "legal": {"precision": 0.5, "recall": 0.5, "support": 2},
        # gold {1} escalated for refund but predicted as legal
        "refund": {"precision": 0.0, "recall": 0.0, "support": 1},
        # record 6 names vip but its gold route is not escalate
        "vip": {"precision": 0.0, "recall": 0.0, "support": 0},
    }


def test_escalation_scores_wrong_reason_is_not_a_hit_for_the_reason() -> None:
    result = escalation_scores([ESC], [ESC], ["legal"], ["refund"])
    assert result["precision"] == 1.0
    assert result["recall"] == 1.0
    assert result["by_reason"] == {
        "legal": {"precision": 0.0, "recall": 0.0, "support": 1},
        "refund": {"precision": 0.0, "recall": 0.0, "support": 0},
    }


def test_escalation_scores_empty() -> None:
    assert escalation_scores([], [], [], []) == {"precision": 0.0, "recall": 0.0, "by_reason": {}}


@pytest.mark.parametrize("short", ["pred_routes", "gold_reasons", "pred_reasons"])
def test_escalation_scores_length_mismatch(short: str) -> None:
    columns = {
        "gold_routes": list(GOLD_ROUTES),
        "pred_routes": list(PRED_ROUTES),
        "gold_reasons": list(GOLD_REASONS),
        "pred_reasons": list(PRED_REASONS),
    }
    columns[short] = columns[short][:-1]
    with pytest.raises(ValueError, match=short):
        escalation_scores(
            columns["gold_routes"], columns["pred_routes"], columns["gold_reasons"], columns["pred_reasons"]
        )


# --- round_floats -----------------------------------------------------------------------------------------


def test_round_floats_nested() -> None:
    data: dict[str, object] = {
        "a": 0.123456,
        "b": [1.00004, 2, "x", None, True, {"c": 2.5e-5, "d": 0.66666}],
        "t": (0.33333, 3),
    }
    result = round_floats(data)
    assert result == {
        "a": 0.1235,
        "b": [1.0, 2, "x", None, True, {"c": 0.0, "d": 0.6667}],
        "t": (0.3333, 3),
    }
    assert isinstance(result, dict)
    rounded_list = result["b"]
    assert isinstance(rounded_list, list)
    assert rounded_list[4] is True
    assert type(rounded_list[1]) is int
    assert data["a"] == 0.123456  # input not mutated


def test_round_floats_digits_and_scalars() -> None:
    assert round_floats({"x": [3.14159]}, digits=2) == {"x": [3.14]}
    assert round_floats(2.71828, digits=1) == 2.7
    assert round_floats("2.71828") == "2.71828"
    assert round_floats(7) == 7
