"""Tests for ticketflow.knowledge.routing.classifier.TextClassifier: train, predict, save and load."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pytest

from ticketflow.errors import ConfigError
from ticketflow.knowledge.routing.classifier import (
    DEFAULT_UNSURE,
    TextClassifier,
    choose_unsure_threshold,
    fingerprint,
    fit_temperature,
)

TEXTS = [
    "where is my parcel",
    "my package has not arrived yet",
    "track my order please",
    "when will my delivery come",
    "shipment tracking number missing",
    "I forgot my password",
    "reset my password link",
    "cannot log in to my account password",
    "password reset email never came",
    "locked out, need a new password",
]
LABELS = ["track_order"] * 5 + ["recover_password"] * 5


def test_trained_classifier_predicts_the_right_intent_with_a_probability() -> None:
    model = TextClassifier.train(TEXTS, LABELS)

    label, p = model.predict("has my parcel shipped? need the tracking")
    other, q = model.predict("how do I reset my password")

    assert set(model.labels) == {"track_order", "recover_password"}
    assert label == "track_order"
    assert other == "recover_password"
    assert 0.5 < p <= 1.0
    assert 0.5 < q <= 1.0


def test_predict_many_matches_predict_one_at_a_time() -> None:
    model = TextClassifier.train(TEXTS, LABELS)
    queries = ["where is my package", "forgot password"]

    many = model.predict_many(queries)

    assert [label for label, _ in many] == [model.predict(q)[0] for q in queries]
    assert model.predict_many([]) == []


def test_probability_of_a_label_and_of_an_unknown_label() -> None:
    model = TextClassifier.train(TEXTS, LABELS)

    p_track = model.probability_of("where is my parcel", "track_order")
    p_pwd = model.probability_of("where is my parcel", "recover_password")

    assert p_track > p_pwd
    assert p_track + p_pwd == pytest.approx(1.0)
    assert model.probability_of("where is my parcel", "get_refund") == 0.0


def test_saved_model_loads_with_same_predictions_and_fingerprint(tmp_path: Path) -> None:
    model = TextClassifier.train(TEXTS, LABELS)
    path = tmp_path / "models" / "intent.joblib"

    model.save(path)
    loaded = TextClassifier.load(path)

    assert loaded.labels == model.labels
    assert loaded.fingerprint == model.fingerprint == fingerprint(TEXTS, LABELS)
    for text in ["parcel late", "password trouble"]:
        assert loaded.predict(text) == model.predict(text)


def test_unreadable_model_file_raises_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "intent.joblib"
    path.write_bytes(b"not a model")

    with pytest.raises(
        ConfigError, match=r"cannot load the model .*retrain with `ticketflow train`"
    ) as caught:
        TextClassifier.load(path)

    assert str(caught.value).startswith(f"{path}: ")


def test_training_needs_two_labels() -> None:
    with pytest.raises(ConfigError, match=r"at least two distinct labels"):
        TextClassifier.train(TEXTS[:3], ["track_order"] * 3)


def test_training_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match=r"differ in length"):
        TextClassifier.train(TEXTS, LABELS[:-1])


def test_fingerprint_changes_with_the_data() -> None:
    changed = [*LABELS[:-1], "track_order"]

    assert fingerprint(TEXTS, LABELS) == fingerprint(list(TEXTS), list(LABELS))
    assert fingerprint(TEXTS, LABELS) != fingerprint(TEXTS, changed)


def test_one_text_prediction_matches_scikit_learn_batch_prediction() -> None:
    # the fast single-text path must give the very numbers of the fitted scikit-learn pipeline
    model = TextClassifier.train(TEXTS * 2, LABELS * 2)
    queries = ["where is my parcel now", "reset password please", "zzz", ""]

    batch = model.predict_many(queries)

    for query, (label, p) in zip(queries, batch, strict=True):
        assert model.predict(query)[0] == label
        assert model.predict(query)[1] == pytest.approx(p, abs=1e-9)


def test_training_records_the_calibration_it_chose_from_held_out_predictions() -> None:
    model = TextClassifier.train(TEXTS * 2, LABELS * 2)

    assert model.calibration.oof_accuracy is not None
    assert model.calibration.temperature > 0
    assert 0.0 <= model.unsure_threshold <= 1.0


def test_too_little_data_keeps_the_default_threshold() -> None:
    model = TextClassifier.train(TEXTS[:2] + TEXTS[5:7], LABELS[:2] + LABELS[5:7])

    assert model.calibration.oof_accuracy is None
    assert model.unsure_threshold == DEFAULT_UNSURE


def test_threshold_for_a_label_is_learned_only_when_asked() -> None:
    asked = TextClassifier.train(TEXTS * 2, LABELS * 2, threshold_for=("track_order", "absent"))
    plain = TextClassifier.train(TEXTS * 2, LABELS * 2)

    cut = asked.threshold_for("track_order")
    assert cut is not None and 0.0 < cut < 1.0
    assert asked.threshold_for("absent") is None
    assert plain.threshold_for("track_order") is None


def test_unsure_threshold_sits_where_held_out_predictions_turn_mostly_wrong() -> None:
    confidence = np.array([0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95])
    correct = np.array([False, False, False, True, True, False, True, True])

    # below 0.5 all three are wrong (cost 2 each if trusted, 1 each if handed over); above, one in five
    assert choose_unsure_threshold(confidence, correct, error_cost=2.0) == pytest.approx(0.5)
    # if errors cost nothing, trust everything
    assert choose_unsure_threshold(confidence, correct, error_cost=0.0) == 0.0


def test_temperature_fit_recovers_the_temperature_that_generated_the_labels() -> None:
    rng = np.random.default_rng(3)
    margins = rng.normal(0.0, 1.0, size=(4000, 3))
    scaled = np.exp(margins / 0.5)
    probabilities = scaled / scaled.sum(axis=1, keepdims=True)
    gold = np.array([rng.choice(3, p=row) for row in probabilities])

    assert fit_temperature(margins, gold) == pytest.approx(0.5, rel=0.15)


def test_a_model_saved_by_an_older_version_asks_for_retraining(tmp_path: Path) -> None:
    path = tmp_path / "intent.joblib"
    joblib.dump({"pipeline": None, "labels": ("a", "b"), "fingerprint": "x"}, path)

    with pytest.raises(ConfigError, match=r"older version.*retrain"):
        TextClassifier.load(path)
