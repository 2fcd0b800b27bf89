"""``[feedback]``: the link is off until a base URL and a secret from the environment are both there."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from support import STORE
from ticketflow.errors import ConfigError
from ticketflow.settings import FeedbackSettings, Settings
from ticketflow.wiring.feedback import feedback_links, window

SECRET = "a-long-enough-feedback-secret"


def test_the_link_is_off_without_a_base_url_or_without_a_secret() -> None:
    assert feedback_links(FeedbackSettings(), {"TICKETFLOW_FEEDBACK_SECRET": SECRET}) is None
    assert feedback_links(FeedbackSettings(link_base_url="https://help.example.com"), {}) is None


def test_with_both_the_link_is_signed_with_the_secret_and_valid_for_its_ttl() -> None:
    settings = FeedbackSettings(link_base_url="https://help.example.com", link_ttl_days=7)
    links = feedback_links(settings, {"TICKETFLOW_FEEDBACK_SECRET": SECRET})
    assert links is not None
    assert links.secret == SECRET.encode() and links.ttl == timedelta(days=7)
    assert window(settings) == timedelta(hours=72)


def test_the_secret_may_live_in_another_variable() -> None:
    settings = FeedbackSettings(link_base_url="https://help.example.com", secret_env="MY_FEEDBACK_KEY")
    assert feedback_links(settings, {"MY_FEEDBACK_KEY": SECRET}) is not None


def test_a_short_secret_is_a_config_error_naming_the_variable() -> None:
    settings = FeedbackSettings(link_base_url="https://help.example.com")
    with pytest.raises(ConfigError, match=r"TICKETFLOW_FEEDBACK_SECRET.*at least 16 bytes"):
        feedback_links(settings, {"TICKETFLOW_FEEDBACK_SECRET": "short"})


def test_a_secret_written_in_the_toml_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(STORE, workspace, ignore=shutil.ignore_patterns("var"))
    toml = workspace / "ticketflow.toml"
    toml.write_text(toml.read_text() + '\n[feedback]\nlink_base_url = "https://x.example"\nsecret = "abc"\n')
    with pytest.raises(ConfigError, match=r"\[feedback\] secret.*TICKETFLOW_FEEDBACK_SECRET"):
        Settings.load(workspace)


def test_the_window_and_the_base_url_come_from_the_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(STORE, workspace, ignore=shutil.ignore_patterns("var"))
    toml = workspace / "ticketflow.toml"
    toml.write_text(
        toml.read_text() + '\n[feedback]\nlink_base_url = "https://x.example"\nwindow_hours = 24\n'
    )
    monkeypatch.setenv("TICKETFLOW_FEEDBACK_SECRET", SECRET)  # read by wiring, not a settings field
    settings = Settings.load(workspace)
    assert settings.feedback.link_base_url == "https://x.example"
    assert window(settings.feedback) == timedelta(hours=24)
    assert feedback_links(settings.feedback) is not None
