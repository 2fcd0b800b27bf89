"""The Intercom channel's settings: where the API is, who we post as, and what happens after an answer.

Secrets never live here: the settings name the environment variables that hold them (the access token, the
webhook signing key), and :meth:`IntercomSettings.secret` reads one when the channel is built. The webhook
signing key is whichever key the workspace signs with (FACTS-channels §2.2, unconfirmed which):

- the app's ``client_secret`` (Developer Hub → your app → Basic information), which current apps sign with
  according to secondary sources;
- the legacy webhook subscription's ``hub_secret`` (API v1 docs).

Both sign ``X-Hub-Signature: sha1=<hex HMAC-SHA1(key, raw body)>``; put the one your app uses in
``TICKETFLOW_CHANNELS__INTERCOM__WEBHOOK_SECRET``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ticketflow.errors import ConfigError

ACCESS_TOKEN_ENV = "TICKETFLOW_CHANNELS__INTERCOM__ACCESS_TOKEN"
WEBHOOK_SECRET_ENV = "TICKETFLOW_CHANNELS__INTERCOM__WEBHOOK_SECRET"
REGIONS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}


def slug(text: str) -> str:
    """A tag- and key-safe form of free text: ``"Refund request"`` → ``"refund-request"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unspecified"


class IntercomSettings(BaseModel):
    """``[channels.intercom]`` in ticketflow.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(
        REGIONS["us"],
        description="The API root: https://api.intercom.io, or the eu/au variants (any URL, for a fake).",
    )
    admin_id: str = Field(
        ...,
        min_length=1,
        description="The admin ticketflow posts as; parts by this admin are our own echoes.",
    )
    api_version: str = Field(
        "2.14", description="Sent as the Intercom-Version header; empty: none (the app's default version)."
    )
    status_after_answer: Literal["none", "close", "snooze"] = Field(
        "none", description="What a reply does to the conversation afterwards."
    )
    snooze_seconds: int = Field(86_400, gt=0, description="With 'snooze': how long, from the reply.")
    answered_tag: str | None = Field(
        "ticketflow-answered", description="Added after each reply; empty or null: no tag."
    )
    escalated_tag_prefix: str | None = Field(
        "ticketflow-escalated-", description="A handoff tags '<prefix><reason slug>'; null: no tag."
    )
    escalation_teams: dict[str, str] = Field(
        default_factory=dict,
        description="Escalation reason (or its slug, e.g. 'refund-request') → the Intercom team id.",
    )
    default_team: str | None = Field(None, description="The team for a reason the mapping does not name.")
    webhook_parts: Literal["full", "newest"] = Field(
        "full",
        description=(
            "What a webhook's conversation lists (unconfirmed): 'full', every part so far, so only the "
            "newest customer part is new; 'newest', only the new part(s), so each one listed is new."
        ),
    )
    fetch_contacts: bool = Field(
        True, description="Fetch GET /contacts/{id} for the email when a part's author carries none."
    )
    poll_every_s: int = Field(
        0, ge=0, description="seconds between polling passes, the fallback for missed webhooks; 0: off"
    )
    poll_per_page: int = Field(150, ge=1, le=150, description="Search page size (Intercom's maximum: 150).")
    poll_max_pages: int = Field(
        20, ge=1, description="Pages per polling pass; the next pass resumes the rest."
    )
    poll_overlap_s: int = Field(
        60, ge=0, description="How far back each pass looks again, for a search index that lags."
    )
    timeout_s: float = Field(10.0, gt=0)
    max_retries: int = Field(3, ge=0)
    access_token_env: str = Field(ACCESS_TOKEN_ENV, description="The variable holding the access token.")
    webhook_secret_env: str = Field(
        WEBHOOK_SECRET_ENV, description="The variable holding the webhook key (client_secret or hub_secret)."
    )
    # TICKETFLOW_CHANNELS__INTERCOM__ACCESS_TOKEN / __WEBHOOK_SECRET land here when the environment is read
    # into the settings; they are never dumped or shown, and the channel reads the variables themselves
    access_token: SecretStr | None = Field(None, exclude=True, repr=False, description="environment only")
    webhook_secret: SecretStr | None = Field(None, exclude=True, repr=False, description="environment only")

    def team_for(self, reason: str) -> str | None:
        """The team an escalation ``reason`` goes to: by the reason itself, its slug, else the default."""
        return (
            self.escalation_teams.get(reason) or self.escalation_teams.get(slug(reason)) or self.default_team
        )

    def secret(
        self, which: Literal["access_token", "webhook_secret"], environ: Mapping[str, str] | None = None
    ) -> str:
        """The secret from its environment variable; a ``ConfigError`` naming the variable when unset."""
        name = self.access_token_env if which == "access_token" else self.webhook_secret_env
        value = (os.environ if environ is None else environ).get(name, "")
        if not value:
            raise ConfigError(f"the Intercom channel needs {name} set in the environment ({which})")
        return value
