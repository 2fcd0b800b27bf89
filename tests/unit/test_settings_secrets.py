"""Channels' secrets come from the environment only: one written into ticketflow.toml is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import STORE
from ticketflow.errors import ConfigError
from ticketflow.settings import Settings


def test_a_secret_in_the_toml_is_refused_naming_the_variable(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(STORE, workspace, ignore=shutil.ignore_patterns("var"))
    toml = workspace / "ticketflow.toml"
    toml.write_text(toml.read_text() + '\n[channels.zendesk]\nsubdomain = "acme"\napi_token = "abc"\n')
    with pytest.raises(ConfigError, match="TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN"):
        Settings.load(workspace)


def test_a_secret_from_the_environment_is_held_but_never_dumped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETFLOW_CHANNELS__ZENDESK__SUBDOMAIN", "acme")
    monkeypatch.setenv("TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN", "s3cret-token")
    settings = Settings.load(STORE)
    assert settings.channels.zendesk is not None
    assert "s3cret-token" not in repr(settings) and "s3cret-token" not in settings.model_dump_json()
