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


def test_with_the_embeddings_model_familiarity_joins_the_lexical_check_unless_asked_otherwise() -> None:
    from ticketflow.knowledge.routing.classifier import TextClassifier
    from ticketflow.knowledge.routing.embeddings import EmbeddingClassifier
    from ticketflow.knowledge.routing.scope import LazyNeighbourhood
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
    tfidf = TextClassifier.train(texts, labels)
    assert dense.familiarity is not None

    def chosen(intent: object, **scope: object) -> tuple[str | None, str | None]:
        settings = Settings(scope=scope)
        lexical = adapters.scope_model(settings, workspace, intent)  # type: ignore[arg-type]
        familiar = adapters.familiarity_model(settings, intent)  # type: ignore[arg-type]
        assert lexical is None or isinstance(lexical, LazyNeighbourhood)
        return (lexical and lexical.measure, familiar and familiar.measure)

    assert chosen(dense) == ("nearest example", "familiarity")
    assert chosen(dense, detector="familiarity") == (None, "familiarity")
    assert chosen(dense, detector="lexical") == ("nearest example", None)
    assert chosen(dense, density=False) == (None, None)
    assert chosen(tfidf) == ("nearest example", None)
    assert chosen(tfidf, detector="familiarity") == ("nearest example", None)  # nothing else to use
    familiar = adapters.familiarity_model(Settings(), dense)
    assert familiar is not None and familiar.cut == dense.familiarity.cut(Settings().scope.density_quantile)
