"""``[channels.zendesk]``: secrets only from the environment and never shown, reasons mapped to groups."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ticketflow.channels.zendesk.channel import ZendeskChannel
from ticketflow.channels.zendesk.settings_model import ZendeskSettings
from ticketflow.errors import ConfigError


def test_the_api_root_defaults_to_the_subdomain_and_can_point_at_a_fake() -> None:
    assert ZendeskSettings(subdomain="acme").api_root == "https://acme.zendesk.com"
    assert ZendeskSettings(subdomain="acme", base_url="http://127.0.0.1:9/").api_root == "http://127.0.0.1:9"
    with pytest.raises(ConfigError, match="subdomain"):
        _ = ZendeskSettings().api_root


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        ZendeskSettings(subdomian="acme")  # type: ignore[call-arg]


def test_secrets_come_from_the_named_variables_and_never_show() -> None:
    settings = ZendeskSettings(subdomain="acme", email="bot@acme.example")
    env = {
        "TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN": "tok-123",
        "TICKETFLOW_CHANNELS__ZENDESK__WEBHOOK_SECRET": "whsec-456",
    }
    secrets = settings.secrets(env)
    assert (secrets.api_token, secrets.webhook_secret, secrets.oauth_token) == ("tok-123", "whsec-456", None)
    assert "tok-123" not in repr(secrets) and "whsec-456" not in repr(secrets)
    mapped = ZendeskSettings(subdomain="acme", api_token="tok-789")  # type: ignore[arg-type]
    assert "tok-789" not in repr(mapped) and "api_token" not in mapped.model_dump()
    assert mapped.secrets({}).api_token == "tok-789"


def test_a_channel_without_credentials_is_a_config_error_naming_the_variable() -> None:
    settings = ZendeskSettings(subdomain="acme", email="bot@acme.example")
    with pytest.raises(ConfigError, match="TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN"):
        ZendeskChannel.from_settings(settings, environ={})
    with pytest.raises(ConfigError, match="OAUTH_TOKEN"):
        ZendeskChannel.from_settings(settings.model_copy(update={"auth": "oauth"}), environ={})


def test_escalation_reasons_map_to_groups_whatever_their_spelling() -> None:
    settings = ZendeskSettings(escalation_groups={"Refund request": "360001"}, default_group="360009")
    assert settings.group_for("refund-request") == "360001"
    assert settings.group_for("legal threat") == "360009"
    assert ZendeskSettings().group_for("legal threat") is None
