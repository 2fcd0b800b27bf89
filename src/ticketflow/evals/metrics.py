"""Pure scoring functions for evaluation runs.

Everything here takes plain sequences and returns plain numbers or dicts, so an eval report can be
computed, compared and serialised without pulling scikit-learn into the runtime. The definitions match
scikit-learn's (``accuracy_score``, ``f1_score(average="macro")``, ``confusion_matrix``,
``precision_recall_fscore_support``) with ``zero_division=0``, which the unit tests check.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

ESCALATE = "escalate"


def _check_lengths(name_a: str, a: Sequence[object], name_b: str, b: Sequence[object]) -> None:
    """Raise ValueError when two aligned sequences differ in length, since scores would be meaningless."""
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} differ in length: {len(a)} != {len(b)}")


def _ratio(numerator: int, denominator: int) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is 0 (scikit-learn's zero_division=0)."""
    return numerator / denominator if denominator else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile with linear interpolation, as ``numpy.percentile(method="linear")``.

    Returns 0.0 for an empty sequence so latency summaries of an empty run stay numeric.
    Raises ValueError when q is outside [0, 100].
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile q must be in [0, 100], got {q}")
    if not values:
        return 0.0
    ordered = sorted(float(v) for v in values)
    position = (len(ordered) - 1) * (q / 100.0)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    below, above = ordered[lower], ordered[upper]
    fraction = position - lower
    diff = above - below
    # Same two-sided lerp as numpy, so results agree to the last bit and stay monotonic in q.
    if fraction >= 0.5:
        return above - diff * (1.0 - fraction)
    return below + diff * fraction


def p50_p95(values: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile rounded to 3 decimals: the usual latency summary of a run."""
    return {"p50": round(percentile(values, 50.0), 3), "p95": round(percentile(values, 95.0), 3)}


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Fraction of records whose predicted label equals the gold label; 0.0 for an empty run."""
    _check_lengths("gold", gold, "pred", pred)
    if not gold:
        return 0.0
    return sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / len(gold)


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Unweighted mean F1 over the labels that occur in gold, so rare classes count as much as common ones.

    A predicted label that never occurs in gold adds no class, but each such prediction is still a false
    negative for the gold class it replaced. Matches ``f1_score(gold, pred, average="macro",
    labels=sorted(set(gold)), zero_division=0)``; 0.0 for an empty run.
    """
    _check_lengths("gold", gold, "pred", pred)
    labels = sorted(set(gold))
    if not labels:
        return 0.0
    true_pos: Counter[str] = Counter()
    false_pos: Counter[str] = Counter()
    false_neg: Counter[str] = Counter()
    for g, p in zip(gold, pred, strict=True):
        if g == p:
            true_pos[g] += 1
        else:
            false_neg[g] += 1
            false_pos[p] += 1
    scores = [
        _ratio(2 * true_pos[label], 2 * true_pos[label] + false_pos[label] + false_neg[label])
        for label in labels
    ]
    return sum(scores) / len(scores)


def confusion(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, int]]:
    """Sparse confusion matrix ``{gold_label: {pred_label: count}}`` with non-zero cells and sorted keys.

    Sparse and sorted so it serialises to small, diff-stable JSON.
    """
    _check_lengths("gold", gold, "pred", pred)
    cells = Counter(zip(gold, pred, strict=True))
    matrix: dict[str, dict[str, int]] = {}
    for (g, p), count in sorted(cells.items()):
        matrix.setdefault(g, {})[p] = count
    return matrix


@dataclass(frozen=True)
class PrecisionRecall:
    """Scores of one binary decision; support is the number of gold positives."""

    precision: float
    recall: float
    support: int
    f1: float


def binary_pr(gold: Sequence[bool], pred: Sequence[bool]) -> PrecisionRecall:
    """Precision, recall and F1 of the positive class, each 0.0 when undefined (zero_division=0)."""
    _check_lengths("gold", gold, "pred", pred)
    true_pos = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    predicted = sum(1 for p in pred if p)
    support = sum(1 for g in gold if g)
    precision = _ratio(true_pos, predicted)
    recall = _ratio(true_pos, support)
    f1 = _ratio(2 * true_pos, predicted + support)
    return PrecisionRecall(precision=precision, recall=recall, support=support, f1=f1)


def escalation_scores(
    gold_routes: Sequence[str | None],
    pred_routes: Sequence[str | None],
    gold_reasons: Sequence[str | None],
    pred_reasons: Sequence[str | None],
) -> dict[str, object]:
    """Score the escalate/not-escalate decision overall and per escalation reason.

    Overall precision/recall treat ``route == "escalate"`` as the positive class. For each reason R seen in
    gold or pred reasons (None excluded), a record is gold-positive when its gold route escalates with gold
    reason R, and pred-positive when its predicted route escalates with predicted reason R; so escalating
    for the wrong reason counts against both reasons. Support is the number of gold positives.
    """
    _check_lengths("gold_routes", gold_routes, "pred_routes", pred_routes)
    _check_lengths("gold_routes", gold_routes, "gold_reasons", gold_reasons)
    _check_lengths("gold_routes", gold_routes, "pred_reasons", pred_reasons)
    gold_escalate = [route == ESCALATE for route in gold_routes]
    pred_escalate = [route == ESCALATE for route in pred_routes]
    overall = binary_pr(gold_escalate, pred_escalate)
    reasons = sorted({r for r in (*gold_reasons, *pred_reasons) if r is not None})
    by_reason: dict[str, dict[str, float | int]] = {}
    for reason in reasons:
        scores = binary_pr(
            [esc and r == reason for esc, r in zip(gold_escalate, gold_reasons, strict=True)],
            [esc and r == reason for esc, r in zip(pred_escalate, pred_reasons, strict=True)],
        )
        by_reason[reason] = {
            "precision": scores.precision,
            "recall": scores.recall,
            "support": scores.support,
        }
    return {"precision": overall.precision, "recall": overall.recall, "by_reason": by_reason}


def binary_scores(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, float]:
    """Balanced accuracy, precision and recall of ``pred`` against ``gold`` (True is the positive class)."""
    pr = binary_pr(gold, pred)
    positives = sum(gold)
    negatives = len(gold) - positives
    tpr = sum(g and p for g, p in zip(gold, pred, strict=True)) / positives if positives else 0.0
    tnr = sum(not g and not p for g, p in zip(gold, pred, strict=True)) / negatives if negatives else 0.0
    return {"balanced_accuracy": (tpr + tnr) / 2, "precision": pr.precision, "recall": pr.recall}


def round_floats(obj: object, digits: int = 4) -> object:
    """Round every float inside nested dicts, lists and tuples, so JSON reports are stable across runs.

    Other values (ints, bools, strings, None) pass through unchanged; containers are copied, not mutated.
    """
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {key: round_floats(value, digits) for key, value in obj.items()}
    if isinstance(obj, list):
        return [round_floats(item, digits) for item in obj]
    if isinstance(obj, tuple):
        return tuple(round_floats(item, digits) for item in obj)
    return obj
