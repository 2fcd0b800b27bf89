"""``[channels.zendesk]``: where the account is, how we sign in, and what an answer or a handoff changes.

Secrets never live in ticketflow.toml: the API token, an OAuth token and the webhook signing secret are read
from the environment variables named here (by default ``TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN`` and
``TICKETFLOW_CHANNELS__ZENDESK__WEBHOOK_SECRET``). Because those names follow the settings' own nesting,
pydantic-settings also maps them onto ``api_token`` / ``oauth_token`` / ``webhook_secret`` below; the fields
exist so that ``extra="forbid"`` does not refuse them, hold the value as ``SecretStr`` (masked in ``repr``
and logs) and are excluded from every dump.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ticketflow.errors import ConfigError

ENV_PREFIX = "TICKETFLOW_CHANNELS__ZENDESK__"
TicketStatus = Literal["new", "open", "pending", "hold", "solved"]
SignatureOrder = Literal["timestamp_body", "body_timestamp", "either"]
WebhookBody = Literal["ids", "full"]
"""What the trigger's JSON body carries: only ids (the comment is read from the API) or the comment itself."""


class ZendeskSettings(BaseModel):
    """The Zendesk channel's settings (``[channels.zendesk]`` in ticketflow.toml)."""

    model_config = ConfigDict(extra="forbid")

    subdomain: str | None = Field(None, description="the account: https://{subdomain}.zendesk.com")
    base_url: str | None = Field(
        None, description="the API root; default https://{subdomain}.zendesk.com (tests point it at a fake)"
    )
    email: str | None = Field(None, description="the agent account the API token belongs to (Basic auth)")
    auth: Literal["token", "oauth"] = Field(
        "token", description="token: Basic {email}/token:{api_token}; oauth: Authorization: Bearer"
    )
    author_id: str | None = Field(
        None,
        description="our agent's Zendesk user id: set on what we post, and comments by it are our own echoes",
    )
    status_after_answer: TicketStatus | None = Field(
        "pending", description="the ticket status a public reply sets; unset: unchanged"
    )
    answered_tag: str | None = Field("ticketflow-answered", description="added after a reply; unset: none")
    status_after_handoff: TicketStatus | None = Field(
        None, description="the ticket status a handoff sets; unset: unchanged"
    )
    escalation_tag_prefix: str | None = Field(
        "ticketflow-escalated-", description="a handoff adds this prefix + the reason as a tag; unset: none"
    )
    escalation_groups: dict[str, str] = Field(
        default_factory=dict,
        description="escalation reason -> Zendesk group id a handoff assigns the ticket to "
        "(reasons compared as slugs: 'Refund request' matches 'refund-request')",
    )
    default_group: str | None = Field(None, description="the group for a reason not in escalation_groups")
    signature_order: SignatureOrder = Field(
        "timestamp_body",
        description="what the webhook HMAC covers: timestamp+body (current docs) or body+timestamp (the "
        "legacy page's worked example); either: accept both (FACTS-channels §1.2, unconfirmed)",
    )
    webhook_body: WebhookBody = Field(
        "ids",
        description="ids: the trigger body carries only ids and the comment (text, author) is read from the "
        "API, valid JSON whether or not Zendesk JSON-escapes placeholders; full: the body carries the "
        "comment's text, which breaks the JSON on a quote or a newline if Zendesk does not escape "
        "(FACTS-channels §1.3, unconfirmed). `ticketflow channels check` prints the matching template",
    )
    replay_window_s: float = Field(300.0, gt=0, description="refuse webhooks signed further from now")
    poll_every_s: int = Field(
        0, ge=0, description="seconds between polling passes, the fallback for missed webhooks; 0: off"
    )
    poll_max_pages: int = Field(
        8, ge=1, le=10, description="incremental-export pages per polling pass (Zendesk allows 10/min)"
    )
    poll_start_lookback_s: int = Field(3600, ge=60, description="the first polling pass looks back this far")
    timeout_s: float = Field(10.0, gt=0, description="per-request timeout of API calls")
    api_token_env: str = Field(f"{ENV_PREFIX}API_TOKEN", description="the variable holding the API token")
    oauth_token_env: str = Field(
        f"{ENV_PREFIX}OAUTH_TOKEN", description="the variable holding an OAuth token"
    )
    webhook_secret_env: str = Field(
        f"{ENV_PREFIX}WEBHOOK_SECRET", description="the variable holding the webhook signing secret"
    )
    api_token: SecretStr | None = Field(None, exclude=True, repr=False, description="environment only")
    oauth_token: SecretStr | None = Field(None, exclude=True, repr=False, description="environment only")
    webhook_secret: SecretStr | None = Field(None, exclude=True, repr=False, description="environment only")

    @property
    def api_root(self) -> str:
        """The URL the REST calls go to."""
        if self.base_url:
            return self.base_url.rstrip("/")
        if not self.subdomain:
            raise ConfigError("[channels.zendesk] needs subdomain (or base_url)")
        return f"https://{self.subdomain}.zendesk.com"

    def secrets(self, environ: Mapping[str, str] | None = None) -> Secrets:
        """The secrets, from the environment variables named above (the only place they are read from)."""
        env = os.environ if environ is None else environ

        def read(name: str, mapped: SecretStr | None) -> str | None:
            value = env.get(name) or (mapped.get_secret_value() if mapped else None)
            return value or None

        return Secrets(
            api_token=read(self.api_token_env, self.api_token),
            oauth_token=read(self.oauth_token_env, self.oauth_token),
            webhook_secret=read(self.webhook_secret_env, self.webhook_secret),
        )

    def group_for(self, reason: str) -> str | None:
        """The group a handoff for ``reason`` is assigned to, if any."""
        wanted = slug(reason)
        for key, group in self.escalation_groups.items():
            if slug(key) == wanted:
                return group
        return self.default_group


@dataclass(frozen=True, slots=True)
class Secrets:
    """The secrets read from the environment; ``repr`` never shows them."""

    api_token: str | None
    oauth_token: str | None
    webhook_secret: str | None

    def __repr__(self) -> str:
        shown = {
            k: "set" if getattr(self, k) else "unset" for k in ("api_token", "oauth_token", "webhook_secret")
        }
        return f"Secrets({shown})"


def slug(text: str) -> str:
    """``text`` as a Zendesk-safe tag fragment: lower case, words joined by ``-`` (no spaces in tags)."""
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-") or "unspecified"
