"""The audit trail's operations, opened from settings without assembling an engine: verifying the hash
chains (``ticketflow audit verify``), applying retention and erasing a person (``docs/audit.md``)."""

from __future__ import annotations

from ticketflow.settings import Settings
from ticketflow.storage import chain
from ticketflow.storage.db import create_engine, migrate


def verify_chains(settings: Settings) -> tuple[list[chain.Verified], chain.Break | None]:
    """Walk the workspace database's chains (migrating the schema first): those intact, the first break."""
    engine = create_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            return chain.verify(conn)
    finally:
        engine.dispose()
