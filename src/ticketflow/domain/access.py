"""Who may do what: scopes of API keys (machines) and roles of people, one permission model.

A machine holds an API key with scopes; a person (the console) holds a role that grants the same scopes.
``admin`` grants every scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Scope(StrEnum):
    """What a credential may do."""

    INGEST = "ingest"
    """Submit customer messages (``POST /v1/messages``, webhooks of configured channels)."""
    READ = "read"
    """Read tickets, their ledger and audit trail (``GET /v1/tickets/{id}``)."""
    AGENT = "agent"
    """Work the review queue: claim, edit, approve, answer, reject."""
    METRICS = "metrics"
    """Scrape ``/metrics`` (spend and volumes)."""
    ADMIN = "admin"
    """Everything, including keys, users and settings."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: an API key (``kind = "key"``) or a person (``kind = "user"``)."""

    kind: str
    id: str
    name: str
    scopes: frozenset[Scope]

    def can(self, scope: Scope) -> bool:
        """Whether this caller holds ``scope`` (``admin`` holds them all)."""
        return Scope.ADMIN in self.scopes or scope in self.scopes


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as it is listed: never its secret, which is shown once at creation and stored hashed."""

    id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = field(default=None)
    webhook: bool = False
    """Whether replies to the key's messages are posted to its webhook URL (the URL itself is not listed)."""

    @property
    def active(self) -> bool:
        """Whether the key still authenticates."""
        return self.revoked_at is None


def parse_scopes(names: list[str] | tuple[str, ...]) -> frozenset[Scope]:
    """Scope names to scopes; an unknown name raises ``ValueError`` listing the valid ones."""
    valid = {s.value for s in Scope}
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ValueError(f"unknown scope(s) {unknown}; choose from {sorted(valid)}")
    return frozenset(Scope(n) for n in names)


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where an API key's outbound webhook goes and the secret that signs it (never logged or listed)."""

    url: str
    secret: str = field(repr=False)


def check_webhook_url(url: str) -> str:
    """``url`` when it is an absolute ``https://`` (or ``http://``, for a local receiver) URL with a host;
    otherwise ``ValueError`` saying what to send."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in ("https", "http") or not host or any(c.isspace() for c in url) or len(url) > 2000:
        raise ValueError(f"the webhook URL must be an absolute https:// URL, got {url!r}")
    return url
