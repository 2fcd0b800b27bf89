"""Credentials: API keys for machines (people's accounts and sessions build on the same scopes)."""

from __future__ import annotations

from typing import Protocol

from ticketflow.domain.access import ApiKey, Principal, Scope, WebhookTarget


class ApiKeys(Protocol):
    """Where API keys are kept, hashed; the secret leaves only once, from :meth:`create`."""

    def create(self, name: str, scopes: frozenset[Scope]) -> tuple[ApiKey, str]:
        """A new key and its token (``tfk_<id>_<secret>``), which is not stored and cannot be shown again."""
        ...

    def list(self) -> list[ApiKey]:
        """Every key, newest first, revoked ones included."""
        ...

    def revoke(self, key_id: str) -> bool:
        """Stop the key from authenticating; False when there is no such active key."""
        ...

    def authenticate(self, token: str) -> Principal | None:
        """The caller a token stands for, or None for a malformed, unknown or revoked token."""
        ...


class KeyWebhooks(Protocol):
    """Each API key's outbound webhook: the URL replies to its messages are posted to, and a signing secret.

    Unlike the key's own secret, the signing secret is stored as is, since signing needs it; it leaves only
    once, from :meth:`set_webhook`, and is never listed or logged.
    """

    def set_webhook(self, key_id: str, url: str) -> str:
        """Point the key's webhook at ``url`` with a new signing secret, which is returned (shown once)."""
        ...

    def webhook(self, key_id: str) -> WebhookTarget | None:
        """The active key's webhook, or None (no webhook, or no such active key)."""
        ...


class KeyStore(ApiKeys, KeyWebhooks, Protocol):
    """API keys with their webhooks, as ``ticketflow keys`` manages them."""
