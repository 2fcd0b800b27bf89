"""Tests for the summary a saved TextClassifier keeps beside its model file, so loading it is quick."""

from __future__ import annotations

import shutil
from pathlib import Path

from ticketflow.knowledge.routing.classifier import TextClassifier

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
PROBES = ["parcel late", "password trouble", "has my order shipped?"]


def _summary(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def test_a_loaded_model_has_the_saved_calibration_and_predictions(tmp_path: Path) -> None:
    model = TextClassifier.train(TEXTS, LABELS, threshold_for=["recover_password"])
    path = tmp_path / "intent.joblib"
    model.save(path)

    loaded = TextClassifier.load(path)

    assert _summary(path).exists()
    assert loaded.calibration == model.calibration
    assert loaded.unsure_threshold == model.unsure_threshold
    assert loaded.threshold_for("recover_password") == model.threshold_for("recover_password")
    assert [loaded.predict(t) for t in PROBES] == [model.predict(t) for t in PROBES]
    assert loaded.predict_many(PROBES) == model.predict_many(PROBES)


def test_a_model_saved_without_a_summary_loads_and_gets_one(tmp_path: Path) -> None:
    model = TextClassifier.train(TEXTS, LABELS)
    path = tmp_path / "intent.joblib"
    model.save(path)
    _summary(path).unlink()

    loaded = TextClassifier.load(path)

    assert [loaded.predict(t) for t in PROBES] == [model.predict(t) for t in PROBES]
    assert _summary(path).exists()
    assert [TextClassifier.load(path).predict(t) for t in PROBES] == [model.predict(t) for t in PROBES]


def test_a_summary_left_from_another_model_file_is_not_trusted(tmp_path: Path) -> None:
    first = tmp_path / "intent.joblib"
    TextClassifier.train(TEXTS, LABELS).save(first)
    other = TextClassifier.train(
        [*TEXTS, "cancel my order", "stop my order now"], [*LABELS, "cancel", "cancel"]
    )
    elsewhere = tmp_path / "other" / "intent.joblib"
    other.save(elsewhere)
    shutil.copyfile(elsewhere, first)  # the model replaced, its summary not

    loaded = TextClassifier.load(first)

    assert loaded.labels == other.labels
    assert loaded.fingerprint == other.fingerprint
    assert loaded.predict("please cancel my order") == other.predict("please cancel my order")
