"""The training report is read off out-of-fold predictions: its figures and warnings follow from them."""

from __future__ import annotations

import numpy as np

from ticketflow.knowledge.routing.classifier import TextClassifier
from ticketflow.knowledge.routing.report import FEW_PER_LABEL, escalation_trade, training_report


def test_figures_come_from_the_held_out_predictions() -> None:
    classes = ("a", "b")
    # four held-out predictions: a right and sure, a wrong and unsure, b right and sure, b right and unsure
    probabilities = np.array([[0.9, 0.1], [0.45, 0.55], [0.2, 0.8], [0.4, 0.6]])
    gold = np.array([0, 0, 1, 1])
    report = training_report(["a", "a", "b", "b"], classes, probabilities, gold, threshold=0.7)
    assert report.cross_validated and report.accuracy == 0.75
    assert report.automated_share == 0.5 and report.automated_accuracy == 1.0
    a, b = report.per_label
    assert (a.precision, a.recall, a.confused_with) == (1.0, 0.5, "b")
    assert (b.precision, b.recall, b.confused_with) == (round(2 / 3, 4), 1.0, None)
    assert [s.label for s in report.weak] == ["a"]  # b: F1 0.8 exactly, not below
    assert any(f"fewer than {FEW_PER_LABEL}" in w for w in report.warnings)


def test_too_few_examples_to_cross_validate_is_said() -> None:
    report = training_report(["a", "b"], ("a", "b"), None, None, None)
    assert not report.cross_validated and report.accuracy is None
    assert "too few to cross-validate" in report.warnings[0]


def test_training_attaches_its_report() -> None:
    texts = [f"where is my parcel number {i}" for i in range(15)] + [
        f"refund order {i} please" for i in range(15)
    ]
    labels = ["track"] * 15 + ["refund"] * 15
    model = TextClassifier.train(texts, labels)
    assert model.report is not None and model.report.examples == 30 and model.report.labels == 2
    assert model.report.unsure_threshold == model.unsure_threshold


def test_the_escalation_trade_counts_what_each_rule_misses_and_adds() -> None:
    classes = ("refund", "status", "other")  # only refund escalates
    probabilities = np.array(
        [
            [0.9, 0.05, 0.05],  # refund, caught by the top intent
            [0.3, 0.65, 0.05],  # refund read as status: missed on top, caught by the mass
            [0.1, 0.85, 0.05],  # refund read as status, too little mass: missed by both
            [0.3, 0.6, 0.1],  # status with refund mass: needless only with the mass rule
            [0.05, 0.9, 0.05],  # status, left alone by both
            [0.4, 0.3, 0.3],  # other, unsure: a person reads it whatever the rules say
        ]
    )
    gold = np.array([0, 0, 0, 1, 1, 2])
    trade = escalation_trade(classes, probabilities, gold, 0.5, {"refund"}, 0.25)
    assert trade is not None
    assert (trade.escalating, trade.others) == (3, 3)
    assert (trade.missed_top, trade.missed_mass) == (2, 1)
    assert (trade.needless_top, trade.needless_mass) == (0, 1)
    off = escalation_trade(classes, probabilities, gold, 0.5, {"refund"}, None)
    assert off is not None and off.missed_mass == off.missed_top
    assert escalation_trade(classes, probabilities, gold, 0.5, {"billing"}, 0.25) is None
