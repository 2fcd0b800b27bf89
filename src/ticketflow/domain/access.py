"""Who may do what: scopes of API keys (machines) and roles of people, one permission model.

A machine holds an API key with scopes; a person (the console) holds a role that grants the same scopes.
``admin`` grants every scope.
"""

from __future__ import annotations

import hashlib
import hmac
import re
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


class Role(StrEnum):
    """What a person does in the console; each role grants scopes, so keys and people share one model."""

    AGENT = "agent"
    """Works the review queue (and reads tickets)."""
    ADMIN = "admin"
    """Keys, users, settings and reports: every scope."""
    VIEWER = "viewer"
    """Reads tickets, the queue and the dashboard; changes nothing."""


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.AGENT: frozenset({Scope.READ, Scope.AGENT}),
    Role.ADMIN: frozenset({Scope.ADMIN}),
    Role.VIEWER: frozenset({Scope.READ}),
}
"""The scopes each role grants (``admin`` holds every scope, see :meth:`Principal.can`)."""


def parse_role(name: str) -> Role:
    """A role by name; an unknown name raises ``ValueError`` listing the valid ones."""
    try:
        return Role(name)
    except ValueError:
        raise ValueError(f"unknown role {name!r}; choose from {sorted(r.value for r in Role)}") from None


USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._@-]{0,63}$"
"""A username: lowercase letters, digits and ``. _ @ -``, at most 64 characters."""

MIN_PASSWORD = 12
"""The shortest password ``users create`` accepts."""


def check_username(name: str) -> str:
    """``name`` when it is a valid username, else ``ValueError`` saying what is allowed."""
    if re.fullmatch(USERNAME_PATTERN, name) is None:
        raise ValueError(
            f"invalid username {name!r}: use 1-64 lowercase letters, digits and . _ @ - (starting with a "
            "letter or digit)"
        )
    return name


def check_password(password: str) -> str:
    """``password`` when it is long enough, else ``ValueError``."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must be at least {MIN_PASSWORD} characters long")
    return password


@dataclass(frozen=True, slots=True)
class User:
    """A person's account as it is listed: never its password, which is stored as an argon2 hash."""

    id: str
    username: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None = field(default=None)

    @property
    def active(self) -> bool:
        """Whether the account may sign in."""
        return self.disabled_at is None

    def principal(self) -> Principal:
        """The caller this person is once signed in: kind ``user``, id the (unique, never reused) username,
        with the role's scopes; a review lease or an audit entry names them ``user:<username>``."""
        return Principal("user", self.username, self.username, ROLE_SCOPES[self.role])


@dataclass(frozen=True, slots=True)
class SessionCheck:
    """What a session cookie stands for: the signed-in person, or why not (``expired``, ``unknown``)."""

    principal: Principal | None
    problem: str | None = None

    @property
    def expired(self) -> bool:
        """Whether the session existed but ran out (idle or absolute), so the person must sign in again."""
        return self.problem == "expired"


SESSION_COOKIE = "tf_session"
"""The console's session cookie: a random token whose SHA-256 is the server-side session row's key."""

CSRF_FIELD = "csrf"
"""The hidden form field (and, as ``X-CSRF-Token``, the header) carrying a session's CSRF token."""


def csrf_token(session_token: str) -> str:
    """The synchronizer token of a session: an HMAC keyed by the session's secret, so it is tied to that
    session, needs no storage, and cannot be computed without the (HTTP-only) cookie."""
    return hmac.new(session_token.encode(), b"ticketflow csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, sent: str | None) -> bool:
    """Whether ``sent`` is the session's CSRF token (compared in constant time)."""
    return sent is not None and hmac.compare_digest(csrf_token(session_token), sent)
