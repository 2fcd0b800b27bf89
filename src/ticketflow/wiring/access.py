"""Credentials' stores, opened without assembling a whole engine (``ticketflow keys`` needs no models)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ticketflow.ports.access import KeyStore, Users
from ticketflow.settings import Settings
from ticketflow.storage.db import create_engine, migrate
from ticketflow.storage.keys import SqlApiKeys
from ticketflow.storage.users import SqlUsers


@contextmanager
def api_keys(settings: Settings) -> Iterator[KeyStore]:
    """The workspace database's API keys and their webhooks (migrating the schema first), closed on exit."""
    engine = create_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        yield SqlApiKeys(engine)
    finally:
        engine.dispose()


@contextmanager
def people(settings: Settings) -> Iterator[Users]:
    """The workspace database's people's accounts (migrating the schema first), closed on exit."""
    engine = create_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        yield SqlUsers(engine)
    finally:
        engine.dispose()
