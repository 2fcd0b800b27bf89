"""Credentials: API keys for machines (people's accounts and sessions build on the same scopes)."""

from __future__ import annotations

from typing import Protocol

from ticketflow.domain.access import ApiKey, Principal, Scope


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
