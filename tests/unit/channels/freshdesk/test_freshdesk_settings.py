"""The Freshdesk settings: where the account is, the switches, and secrets that only the environment holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from ticketflow.channels.freshdesk.poll import PollCursor
from ticketflow.channels.freshdesk.settings_model import FreshdeskSecrets, FreshdeskSettings
from ticketflow.errors import ConfigError, InputError


def test_the_domain_gives_the_https_api_root() -> None:
    assert FreshdeskSettings(domain="acme").api_root == "https://acme.freshdesk.com"
    assert FreshdeskSettings(domain="https://Acme.freshdesk.com/").api_root == "https://acme.freshdesk.com"


def test_defaults_follow_the_brief() -> None:
    settings = FreshdeskSettings(domain="acme")
    assert settings.token_header == "X-Ticketflow-Token"
    assert settings.status_after_answer == 3
    assert settings.customer_rule == "incoming"
    assert settings.api_key_env == "TICKETFLOW_CHANNELS__FRESHDESK__API_KEY"
    assert settings.webhook_secret_env == "TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET"


@pytest.mark.parametrize("domain", ["acme.example.com", "ac_me", "", "-acme"])
def test_only_freshdesk_subdomains_are_accepted(domain: str) -> None:
    with pytest.raises(ValidationError, match="subdomain"):
        FreshdeskSettings(domain=domain)


def test_an_overriding_base_url_must_be_https_or_loopback() -> None:
    assert FreshdeskSettings(base_url="http://127.0.0.1:8123/").api_root == "http://127.0.0.1:8123"
    assert FreshdeskSettings(base_url="https://proxy.internal").api_root == "https://proxy.internal"
    with pytest.raises(ValidationError, match="HTTPS only"):
        FreshdeskSettings(base_url="http://desk.example.com")


def test_unknown_keys_and_a_missing_domain_are_refused() -> None:
    with pytest.raises(ValidationError, match="domain"):
        FreshdeskSettings()
    with pytest.raises(ValidationError, match="extra"):
        FreshdeskSettings(domain="acme", apikey="typo")  # type: ignore[call-arg]
    # a key read from the environment is held but never dumped or shown
    held = FreshdeskSettings(domain="acme", api_key="env-secret")  # type: ignore[arg-type]
    assert "env-secret" not in repr(held) and "api_key" not in held.model_dump()


def test_escalation_groups_by_name_must_be_known() -> None:
    FreshdeskSettings(
        domain="acme", groups={"billing": 4}, escalation_groups={"refund": "billing", "legal": 9}
    )
    with pytest.raises(ValidationError, match="billing"):
        FreshdeskSettings(domain="acme", escalation_groups={"refund": "billing"})


def test_secrets_come_from_the_named_variables_and_never_show() -> None:
    settings = FreshdeskSettings(domain="acme", api_key_env="FD_KEY", webhook_secret_env="FD_HOOK")
    secrets = FreshdeskSecrets.from_env(settings, {"FD_KEY": "key-123", "FD_HOOK": "hook-456"})
    assert (secrets.api_key, secrets.webhook_secret) == ("key-123", "hook-456")
    assert "key-123" not in repr(secrets) and "hook-456" not in repr(secrets)


def test_a_missing_secret_names_the_variable_to_set() -> None:
    with pytest.raises(ConfigError, match="TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET"):
        FreshdeskSecrets.from_env(
            FreshdeskSettings(domain="acme"), {"TICKETFLOW_CHANNELS__FRESHDESK__API_KEY": "k"}
        )


def test_a_poll_cursor_survives_being_stored() -> None:
    cursor = PollCursor(datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC), frozenset({"7@2026-12-01T09:00:05Z"}))
    assert PollCursor.load(cursor.dump()) == cursor


def test_an_unreadable_poll_cursor_is_refused() -> None:
    with pytest.raises(InputError):
        PollCursor.load({"updated_since": "yesterday"})
    with pytest.raises(ValueError, match="timezone"):
        PollCursor(datetime(2026, 12, 1))
