"""``SqlUsers``: people's accounts (argon2id password hashes) and their server-side console sessions.

A password is hashed with argon2-cffi's ``PasswordHasher`` (argon2id, its maintained defaults) and rehashed at
the next sign-in when those defaults change. A session is a random 32-byte token in the browser's cookie;
the database keeps only its SHA-256 (a fast hash is right for a long random secret, as for API keys), so a
stolen database holds no usable session. Expiry is checked here, at each use: idle (``seen_at``) and absolute
(``expires_at``).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ticketflow.domain.access import Role, SessionCheck, User, check_password, check_username
from ticketflow.storage.tables import user_sessions, users
from ticketflow.storage.times import aware, aware_or_none, utcnow

_TOUCH_EVERY = timedelta(seconds=15)
"""A session's idle clock is written at most this often, not on every request."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: Any) -> User:
    return User(row.id, row.username, Role(row.role), aware(row.created_at), aware_or_none(row.disabled_at))


class SqlUsers:
    """Implements ``ports.access.Users`` over the ``users`` and ``user_sessions`` tables."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock
        self._hasher = PasswordHasher()
        self._decoy: str | None = None

    def create(self, username: str, role: Role, password: str) -> User:
        check_username(username)
        check_password(password)
        user = User(secrets.token_hex(8), username, role, self._clock())
        values = {"id": user.id, "username": username, "role": role.value, "created_at": user.created_at}
        try:
            with self._engine.begin() as conn:
                conn.execute(users.insert().values(**values, password_hash=self._hasher.hash(password)))
        except sa.exc.IntegrityError:
            raise ValueError(f"the username {username!r} is taken") from None
        return user

    def list(self) -> list[User]:
        with self._engine.connect() as conn:
            return [_user(row) for row in conn.execute(sa.select(users).order_by(users.c.created_at))]

    def get(self, username: str) -> User | None:
        """The account named ``username``, active or not."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        return _user(row) if row is not None else None

    def disable(self, username: str) -> bool:
        now = self._clock()
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.select(users.c.id).where(users.c.username == username, users.c.disabled_at.is_(None))
            ).first()
            if row is None:
                return False
            conn.execute(users.update().where(users.c.id == row.id).values(disabled_at=now))
            conn.execute(
                user_sessions.update()
                .where(user_sessions.c.user_id == row.id, user_sessions.c.closed_at.is_(None))
                .values(closed_at=now)
            )
        return True

    def verify(self, username: str, password: str) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(users).where(users.c.username == username, users.c.disabled_at.is_(None))
            ).first()
        if row is None:
            # an unknown name costs what a known one does: no enumeration by time
            self._spend_a_hash(password)
            return None
        try:
            self._hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if self._hasher.check_needs_rehash(row.password_hash):
            with self._engine.begin() as conn:
                new_hash = self._hasher.hash(password)
                conn.execute(users.update().where(users.c.id == row.id).values(password_hash=new_hash))
        return _user(row)

    def _spend_a_hash(self, password: str) -> None:
        if self._decoy is None:
            self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        with contextlib.suppress(VerificationError):
            self._hasher.verify(self._decoy, password)

    def open_session(self, user: User, lifetime: timedelta) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._engine.begin() as conn:
            conn.execute(
                user_sessions.insert().values(
                    token_sha256=_digest(token),
                    user_id=user.id,
                    created_at=now,
                    seen_at=now,
                    expires_at=now + lifetime,
                )
            )
        return token

    def session(self, token: str, idle: timedelta) -> SessionCheck:
        if not token or len(token) > 100:
            return SessionCheck(None, "unknown")
        key = _digest(token)
        query = (
            sa.select(user_sessions, users.c.username, users.c.role, users.c.created_at.label("user_created"))
            .join(users, users.c.id == user_sessions.c.user_id)
            .where(user_sessions.c.token_sha256 == key, users.c.disabled_at.is_(None))
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.closed_at is not None:
            return SessionCheck(None, "unknown")
        now = self._clock()
        seen = aware(row.seen_at)
        if now >= aware(row.expires_at) or now - seen >= idle:
            return SessionCheck(None, "expired")
        if now - seen >= _TOUCH_EVERY:
            with self._engine.begin() as conn:
                conn.execute(
                    user_sessions.update().where(user_sessions.c.token_sha256 == key).values(seen_at=now)
                )
        user = User(row.user_id, row.username, Role(row.role), aware(row.user_created))
        return SessionCheck(user.principal())

    def close_session(self, token: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                user_sessions.update()
                .where(user_sessions.c.token_sha256 == _digest(token), user_sessions.c.closed_at.is_(None))
                .values(closed_at=self._clock())
            )
