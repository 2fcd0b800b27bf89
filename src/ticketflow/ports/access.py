"""Credentials: API keys for machines, accounts and sessions for people, on the same scopes."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from ticketflow.domain.access import ApiKey, Principal, Role, Scope, SessionCheck, User, WebhookTarget


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


class Users(Protocol):
    """People's accounts (passwords hashed with argon2) and their server-side sessions (tokens hashed)."""

    def create(self, username: str, role: Role, password: str) -> User:
        """A new account; ``ValueError`` for a taken or invalid username or a too short password."""
        ...

    def list(self) -> list[User]:
        """Every account, oldest first, disabled ones included."""
        ...

    def disable(self, username: str) -> bool:
        """Stop the account from signing in and end its sessions; False when there is no such active one."""
        ...

    def verify(self, username: str, password: str) -> User | None:
        """The active account when the password is its own, else None (unknown, disabled or wrong: the same
        answer, taking the same time)."""
        ...

    def open_session(self, user: User, lifetime: timedelta) -> str:
        """A new session for ``user`` ending after ``lifetime`` at the latest; its token, stored hashed."""
        ...

    def session(self, token: str, idle: timedelta) -> SessionCheck:
        """Who the session token stands for, refreshing its idle clock; expired after ``idle`` unused or
        past its lifetime, unknown when closed, forged or its account disabled."""
        ...

    def close_session(self, token: str) -> None:
        """End the session (signing out); nothing happens for an unknown token."""
        ...


class Throttles(Protocol):
    """Token buckets every process shares, so a limit holds however many ``serve`` processes there are."""

    def take(self, limit: str, caller: str, per_second: float, burst: float) -> float:
        """Take one token from ``caller``'s bucket of ``limit`` (refilling at ``per_second`` up to ``burst``):
        0 when admitted, else the seconds until a token is there."""
        ...
