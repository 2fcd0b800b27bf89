"""Tests for ticketflow.knowledge.encoder: the packaged model behind one cached ``Encode`` per process.

The model is replaced by a counting fake, so these run without the embeddings extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from ticketflow.knowledge import encoder


class CountingModel:
    """Stands in for the SentenceTransformer: a text's vector is its length, and every text is counted."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str], **_: Any) -> np.ndarray:
        self.encoded += texts
        return np.array([[float(len(t)), 1.0] for t in texts])


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> CountingModel:
    fake = CountingModel()
    monkeypatch.setattr(encoder, "_require_extra", lambda needed_by=encoder.ROUTING: (None, None))
    monkeypatch.setattr(encoder, "_load_model", lambda: fake)
    monkeypatch.setattr(encoder, "_remembered", type(encoder._remembered)())
    return fake


def test_a_text_is_embedded_once_per_process_even_by_two_encoders(model: CountingModel) -> None:
    first = encoder.sentence_encoder()(["an article", "a message", "an article"])
    again = encoder.sentence_encoder()(["a message", "another"])

    assert model.encoded == ["an article", "a message", "another"]
    assert first.tolist() == [[10.0, 1.0], [9.0, 1.0], [10.0, 1.0]]
    assert again.tolist() == [[9.0, 1.0], [7.0, 1.0]], "remembered rows come back in the order asked"


def test_the_memory_is_bounded_and_a_training_set_is_not_remembered(
    model: CountingModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoder, "REMEMBERED", 4)
    encode = encoder.sentence_encoder()
    encode(["a", "b"])
    encode(["c", "d", "e"])  # more than half the memory: embedded as it is, remembered nowhere
    encode(["f", "g"])
    encode(["a", "h"])  # "a" is still remembered; "h" pushes out the oldest, "b"
    encode(["b"])

    assert model.encoded == ["a", "b", "c", "d", "e", "f", "g", "h", "b"]
    assert len(encoder._remembered) == 4
