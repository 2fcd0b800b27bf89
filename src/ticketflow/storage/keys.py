"""``SqlApiKeys``: API keys with scopes, stored as the SHA-256 of their secret.

A key is ``tfk_<id>_<secret>``: the id finds the row, the secret (32 random bytes) is compared by its hash in
constant time. A fast hash is right here, unlike for passwords: the secret is random and long, so there is
nothing to guess, and a request must not pay a password hash's deliberate slowness.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ticketflow.domain.access import ApiKey, Principal, Scope, WebhookTarget, check_webhook_url
from ticketflow.storage.tables import api_keys

PREFIX = "tfk_"
_TOKEN = re.compile(r"^tfk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _key(row: Any) -> ApiKey:
    created, revoked = row[3], row[4]
    return ApiKey(
        id=row[0],
        name=row[1],
        scopes=frozenset(Scope(s) for s in row[2]),
        created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
        revoked_at=revoked if revoked is None or revoked.tzinfo else revoked.replace(tzinfo=UTC),
        webhook=bool(row[5]),
    )


class SqlApiKeys:
    """Implements ``ports.access.ApiKeys`` and ``KeyWebhooks`` over the ``api_keys`` table.

    A key's webhook signing secret is stored in clear (``webhook_secret``): signing needs it back. It is
    returned once by :meth:`set_webhook` and never listed, printed again or logged.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def create(self, name: str, scopes: frozenset[Scope]) -> tuple[ApiKey, str]:
        """A new key; the returned token is the only copy of its secret."""
        if not scopes:
            raise ValueError("a key needs at least one scope")
        key_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
        secret = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            conn.execute(
                api_keys.insert().values(
                    id=key_id,
                    name=name,
                    scopes=sorted(s.value for s in scopes),
                    secret_sha256=_digest(secret),
                    created_at=now,
                )
            )
        return ApiKey(key_id, name, scopes, now), f"{PREFIX}{key_id}_{secret}"

    def list(self) -> list[ApiKey]:
        """Every key, newest first."""
        columns = (api_keys.c.id, api_keys.c.name, api_keys.c.scopes, api_keys.c.created_at)
        query = sa.select(*columns, api_keys.c.revoked_at, api_keys.c.webhook_url.is_not(None)).order_by(
            api_keys.c.created_at.desc()
        )
        with self._engine.connect() as conn:
            return [_key(row) for row in conn.execute(query)]

    def revoke(self, key_id: str) -> bool:
        """Revoke an active key; False when there is none with that id."""
        with self._engine.begin() as conn:
            done = conn.execute(
                api_keys.update()
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return done.rowcount == 1

    def authenticate(self, token: str) -> Principal | None:
        """The key's caller, or None: malformed, unknown, revoked, or a wrong secret."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        key_id, secret = match.groups()
        query = sa.select(api_keys.c.name, api_keys.c.scopes, api_keys.c.secret_sha256).where(
            api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or not hmac.compare_digest(row[2], _digest(secret)):
            return None
        return Principal("key", key_id, row[0], frozenset(Scope(s) for s in row[1]))

    def set_webhook(self, key_id: str, url: str) -> str:
        """Point the key's webhook at ``url`` with a new signing secret, returned once (else KeyError)."""
        secret = secrets.token_urlsafe(32)
        with self._engine.begin() as conn:
            done = conn.execute(
                api_keys.update()
                .where(api_keys.c.id == key_id)
                .values(webhook_url=check_webhook_url(url), webhook_secret=secret)
            )
        if done.rowcount != 1:
            raise KeyError(key_id)
        return secret

    def webhook(self, key_id: str) -> WebhookTarget | None:
        """The active key's webhook URL and signing secret, or None."""
        query = sa.select(api_keys.c.webhook_url, api_keys.c.webhook_secret).where(
            api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row[0] is None or row[1] is None:
            return None
        return WebhookTarget(row[0], row[1])
