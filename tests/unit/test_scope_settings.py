"""Tests for ``[scope]`` and ``[languages]``: declines resolved from the settings, mistakes named."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ticketflow.errors import ConfigError
from ticketflow.settings import Settings
from ticketflow.wiring import adapters


def test_defaults_decline_out_of_scope_and_thank_thanks_with_the_workspace_name() -> None:
    settings = Settings(name="Acme")
    responses = adapters.chatter_responses(settings)
    assert "Acme" in str(responses["out_of_scope"])
    assert responses["thanks"] and "welcome" in str(responses["thanks"])
    assert settings.languages.served == ["en"]


def test_handoff_and_a_missing_response(tmp_path: Path) -> None:
    (tmp_path / "ticketflow.toml").write_text(
        '[scope]\nintents = { out_of_scope = "handoff", thanks = "nope" }\n', encoding="utf-8"
    )
    settings = Settings.load(tmp_path)
    with pytest.raises(ConfigError, match=r"intents\.thanks = 'nope'"):
        adapters.chatter_responses(settings)
    settings = Settings(scope={"intents": {"out_of_scope": "handoff"}})
    assert adapters.chatter_responses(settings) == {"out_of_scope": None}


def test_language_detection_off_or_on() -> None:
    assert adapters.language_detector(Settings(languages={"detect": False})) is None
    detector = adapters.language_detector(Settings())
    assert detector is not None and detector.detect("Wo ist meine Bestellung, bitte?") == "de"
    assert adapters.writes_any_language(Settings(provider="offline")) is False
    assert adapters.writes_any_language(Settings(provider="anthropic")) is True


def test_the_scope_detector_is_familiarity_with_the_embeddings_model_and_lexical_otherwise() -> None:
    from ticketflow.knowledge.routing.classifier import TextClassifier
    from ticketflow.knowledge.routing.embeddings import EmbeddingClassifier
    from ticketflow.knowledge.workspace.loader import load_workspace

    workspace = load_workspace(Path(__file__).resolve().parents[2] / "examples" / "store")
    texts = [f"{verb} my {thing}" for verb in ("track", "find", "see") for thing in ("order", "parcel")]
    texts += [
        f"{verb} my {thing}" for verb in ("refund", "repay", "reimburse") for thing in ("order", "money")
    ]
    texts += [f"{verb} my {thing}" for verb in ("close", "delete", "end") for thing in ("account", "profile")]
    texts += [f"{verb} the {thing}" for verb in ("price", "cost", "quote") for thing in ("lamp", "sofa")]
    labels = [label for label in ("track", "refund", "delete", "price") for _ in range(6)]

    def encode(batch: Sequence[str]) -> np.ndarray:
        return np.stack([np.eye(8)[len(t) % 8] for t in batch])

    dense = EmbeddingClassifier.train(texts, labels, encode=encode)
    assert dense.familiarity is not None
    chosen = adapters.scope_model(Settings(), workspace, dense)
    assert chosen is not None and chosen.measure == "familiarity"
    assert chosen.cut == dense.familiarity.cut(Settings().scope.density_quantile)
    lexical = adapters.scope_model(Settings(scope={"detector": "lexical"}), workspace, dense)
    assert lexical is not None and lexical.measure == "nearest example"
    tfidf = adapters.scope_model(Settings(), workspace, TextClassifier.train(texts, labels))
    assert tfidf is not None and tfidf.measure == "nearest example"
    assert adapters.scope_model(Settings(scope={"density": False}), workspace, dense) is None
