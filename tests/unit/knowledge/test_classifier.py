"""Tests for ticketflow.knowledge.classifier.TextClassifier: train, predict, save and load."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketflow.errors import ConfigError
from ticketflow.knowledge.classifier import TextClassifier, fingerprint

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
