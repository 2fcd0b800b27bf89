"""IntercomSettings: secrets only from the environment, strict keys, and where escalations go."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ticketflow.channels.intercom.channel import IntercomChannel
from ticketflow.channels.intercom.poll import PollCursor
from ticketflow.channels.intercom.settings_model import ACCESS_TOKEN_ENV, WEBHOOK_SECRET_ENV, IntercomSettings
from ticketflow.errors import ConfigError, InputError


def test_a_missing_secret_names_its_variable_and_the_channel_never_shows_one() -> None:
    settings = IntercomSettings(admin_id="1")
    with pytest.raises(ConfigError, match=WEBHOOK_SECRET_ENV):
        IntercomChannel(settings, environ={ACCESS_TOKEN_ENV: "tok"})
    with pytest.raises(ConfigError, match=ACCESS_TOKEN_ENV):
        IntercomChannel(settings, environ={WEBHOOK_SECRET_ENV: "sec"})
    channel = IntercomChannel(settings, environ={ACCESS_TOKEN_ENV: "tok-123", WEBHOOK_SECRET_ENV: "sec-456"})
    shown = repr(channel) + repr(settings) + settings.model_dump_json()
    assert "tok-123" not in shown and "sec-456" not in shown
    channel.close()


def test_unknown_keys_and_an_oversized_page_are_refused() -> None:
    with pytest.raises(ValidationError, match="acess_token"):
        IntercomSettings(admin_id="1", acess_token="typo")  # type: ignore[call-arg]
    held = IntercomSettings(admin_id="1", access_token="env-secret")  # type: ignore[arg-type]
    assert "env-secret" not in repr(held) and "access_token" not in held.model_dump()
    with pytest.raises(ValidationError, match="poll_per_page"):
        IntercomSettings(admin_id="1", poll_per_page=151)


def test_an_escalation_reason_maps_to_its_team_by_name_or_slug_else_the_default() -> None:
    settings = IntercomSettings(
        admin_id="1",
        escalation_teams={"refund-request": "t-billing", "Legal threat": "t-legal"},
        default_team="t-1",
    )
    assert settings.team_for("Refund request") == "t-billing"
    assert settings.team_for("Legal threat") == "t-legal"
    assert settings.team_for("anger") == "t-1"
    assert IntercomSettings(admin_id="1").team_for("anger") is None


def test_a_stored_cursor_round_trips_and_a_corrupt_one_is_refused() -> None:
    cursor = PollCursor(since=10, seen=(("ic:1:s:2", 9),), starting_after="Wz", high_water=12, scan_from=0)
    assert PollCursor.load(cursor.dump()) == cursor
    with pytest.raises(InputError, match="cursor"):
        PollCursor.load('{"seen": []}')
