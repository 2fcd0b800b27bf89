"""API keys on both databases: shown once, stored hashed, revocable, scoped."""

from __future__ import annotations

import sqlalchemy as sa

from ticketflow.domain.access import Scope
from ticketflow.storage.db import create_engine, migrate
from ticketflow.storage.keys import SqlApiKeys
from ticketflow.storage.tables import api_keys


def _keys(database_url: str) -> tuple[SqlApiKeys, sa.Engine]:
    engine = create_engine(database_url)
    migrate(engine)
    return SqlApiKeys(engine), engine


def test_a_created_key_authenticates_with_its_scopes_and_its_secret_is_not_stored(database_url: str) -> None:
    keys, engine = _keys(database_url)
    key, token = keys.create("zendesk bridge", frozenset({Scope.INGEST}))

    principal = keys.authenticate(token)
    assert principal is not None and principal.id == key.id and principal.name == "zendesk bridge"
    assert principal.can(Scope.INGEST) and not principal.can(Scope.READ)
    secret = token.split("_", 2)[2]  # the secret itself may hold "_"
    with engine.connect() as conn:
        stored = [str(v) for row in conn.execute(sa.select(api_keys)) for v in row]
    assert not any(secret in value for value in stored)
    engine.dispose()


def test_wrong_malformed_and_revoked_keys_do_not_authenticate(database_url: str) -> None:
    keys, engine = _keys(database_url)
    key, token = keys.create("reader", frozenset({Scope.READ}))
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    assert keys.authenticate(forged) is None
    assert keys.authenticate("tfk_short") is None
    assert keys.authenticate("") is None
    assert keys.revoke(key.id) is True
    assert keys.authenticate(token) is None
    assert keys.revoke(key.id) is False  # already revoked
    [listed] = keys.list()
    assert listed.id == key.id and not listed.active
    engine.dispose()


def test_admin_holds_every_scope(database_url: str) -> None:
    keys, engine = _keys(database_url)
    _, token = keys.create("ops", frozenset({Scope.ADMIN}))
    principal = keys.authenticate(token)
    assert principal is not None and all(principal.can(s) for s in Scope)
    engine.dispose()
