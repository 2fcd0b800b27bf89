"""Tests for ``[scope]`` and ``[languages]``: declines resolved from the settings, mistakes named."""

from __future__ import annotations

from pathlib import Path

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
