"""Credentials' stores, opened without assembling a whole engine (``ticketflow keys`` needs no models)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ticketflow.ports.access import KeyStore
from ticketflow.settings import Settings
from ticketflow.storage.db import create_engine, migrate
from ticketflow.storage.keys import SqlApiKeys


@contextmanager
def api_keys(settings: Settings) -> Iterator[KeyStore]:
    """The workspace database's API keys and their webhooks (migrating the schema first), closed on exit."""
    engine = create_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        yield SqlApiKeys(engine)
    finally:
        engine.dispose()
