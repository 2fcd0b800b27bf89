"""Settings of the Freshdesk channel (``[channels.freshdesk]`` in ``ticketflow.toml``), and its secrets.

Secrets never live in the settings: the API key and the webhook's shared secret are read from the environment
variables the settings *name* (``TICKETFLOW_CHANNELS__FRESHDESK__API_KEY`` and
``TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET`` by default), held in :class:`FreshdeskSecrets`, whose
``repr`` hides them, and never logged.

Two facts about Freshdesk are unconfirmed (``FACTS-channels.md`` §3, §7.6), so each is a switch here:

- ``customer_rule``: whether a conversation with ``incoming: true`` is the customer's (``"incoming"``), or
  only one written by the ticket's requester is (``"requester"``: ``user_id`` equals ``requester_id``);
- ``tags`` on ``PUT /api/v2/tickets/{id}`` may replace the list or add to it: the adapter always reads the
  ticket's tags and sends the union, so both readings end the same and there is nothing to switch.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from ticketflow.errors import ConfigError

API_KEY_ENV = "TICKETFLOW_CHANNELS__FRESHDESK__API_KEY"
WEBHOOK_SECRET_ENV = "TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET"
TOKEN_HEADER = "X-Ticketflow-Token"

Status = Literal[2, 3, 4, 5]
"""Freshdesk's ticket status codes: 2 open, 3 pending, 4 resolved, 5 closed."""

_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class FreshdeskSettings(BaseModel):
    """Where the helpdesk is, what to do after an answer or a handoff, and the unconfirmed switches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str | None = Field(
        None, description="the account's subdomain: 'acme' for acme.freshdesk.com (Freshdesk has no CNAMEs)"
    )
    base_url: str | None = Field(
        None,
        description="the API root, default https://{domain}.freshdesk.com; tests point it at a loopback fake",
    )
    api_key_env: str = Field(API_KEY_ENV, description="the variable holding the API key (Basic auth user)")
    webhook_secret_env: str = Field(
        WEBHOOK_SECRET_ENV, description="the variable holding the shared secret the automation rule sends"
    )
    token_header: str = Field(TOKEN_HEADER, description="the header the automation rule puts the secret in")
    accept_url_token: bool = Field(True, description="also accept the secret as ?token= in the webhook URL")
    agent_user_id: int | None = Field(
        None, description="the agent id the API key belongs to, to tell our own replies from agents'"
    )
    customer_rule: Literal["incoming", "requester"] = Field(
        "incoming",
        description="who is the customer: 'incoming' (incoming: true) or 'requester' (user_id = requester)",
    )
    status_after_answer: Status | None = Field(3, description="the status set after our reply (3 pending)")
    answered_tag: str | None = Field("ticketflow-answered", description="the tag added after our reply")
    escalated_tag_prefix: str = Field("ticketflow-escalated-", description="+ the reason, added on handoff")
    groups: dict[str, int] = Field(
        default_factory=dict, description="team names used in ticketflow -> Freshdesk group ids"
    )
    agents: dict[str, int] = Field(
        default_factory=dict, description="agent names used in ticketflow -> Freshdesk agent ids"
    )
    escalation_groups: dict[str, str | int] = Field(
        default_factory=dict,
        description="escalation reason (or its prefix before ':') -> group name or id to hand off to",
    )
    default_escalation_group: str | int | None = Field(
        None, description="the group for a reason not in escalation_groups (none: leave the group as it is)"
    )
    poll_every_s: int = Field(
        0, ge=0, description="seconds between polling passes, the fallback for missed webhooks; 0: off"
    )
    poll_page_size: int = Field(
        100, ge=1, le=100, description="tickets per page when polling (Freshdesk: ≤100)"
    )
    poll_max_windows: int = Field(
        20, ge=1, le=1000, description="how many times one pass may restart past the 300-page cap"
    )
    timeout_s: float = Field(10.0, gt=0, le=120)
    max_retries: int = Field(3, ge=0, le=10)
    # TICKETFLOW_CHANNELS__FRESHDESK__API_KEY / __WEBHOOK_SECRET land here when the environment is read into
    # the settings; they are never dumped or shown, and the channel reads the variables themselves
    api_key: SecretStr | None = Field(None, exclude=True, repr=False, description="environment only")
    webhook_secret: SecretStr | None = Field(None, exclude=True, repr=False, description="environment only")

    @field_validator("domain")
    @classmethod
    def _bare_subdomain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.strip().lower().removeprefix("https://").rstrip("/").removesuffix(".freshdesk.com")
        if not _SUBDOMAIN.match(name):
            raise ValueError(f"{value!r} is not a Freshdesk subdomain: give 'acme' for acme.freshdesk.com")
        return name

    @field_validator("base_url")
    @classmethod
    def _https_or_loopback(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value.rstrip("/")
        if parts.scheme == "http" and _is_loopback(parts.hostname):
            return value.rstrip("/")
        raise ValueError("Freshdesk is HTTPS only: base_url must be https:// (plain http only on loopback)")

    @model_validator(mode="after")
    def _somewhere(self) -> FreshdeskSettings:
        if self.domain is None and self.base_url is None:
            raise ValueError("set channels.freshdesk.domain (the 'acme' of acme.freshdesk.com)")
        targets = [*self.escalation_groups.values(), self.default_escalation_group]
        unknown = sorted(
            {t for t in targets if isinstance(t, str) and not t.isdigit() and t not in self.groups}
        )
        if unknown:
            raise ValueError(f"escalation groups {unknown} are not in channels.freshdesk.groups (name -> id)")
        return self

    @property
    def api_root(self) -> str:
        """The URL the REST calls go to."""
        return self.base_url or f"https://{self.domain}.freshdesk.com"


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class FreshdeskSecrets:
    """The API key and the webhook's shared secret, from the environment; ``repr`` never shows them."""

    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)

    @classmethod
    def from_env(
        cls, settings: FreshdeskSettings, environ: Mapping[str, str] | None = None
    ) -> FreshdeskSecrets:
        """Read both secrets from the variables ``settings`` names; a missing one is a ``ConfigError``."""
        env = os.environ if environ is None else environ
        missing = [name for name in (settings.api_key_env, settings.webhook_secret_env) if not env.get(name)]
        if missing:
            raise ConfigError(
                f"the Freshdesk channel needs {' and '.join(missing)} in the environment "
                "(the API key from Profile settings; the secret the automation rule sends)"
            )
        return cls(api_key=env[settings.api_key_env], webhook_secret=env[settings.webhook_secret_env])
