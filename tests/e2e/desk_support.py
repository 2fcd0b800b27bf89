"""What the helpdesk end-to-end tests share: the API over a started runtime on a loopback port (so a fake
helpdesk can POST its webhooks to it), the tickets a desk created, polling passes, and the sender check."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from dbos import DBOS

from support import STORE, wait_until
from ticketflow.api.app import create_app
from ticketflow.domain.access import Scope
from ticketflow.domain.ids import TicketId
from ticketflow.runtime.polling_desks import PASS_WORKFLOW
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.storage import tables
from ticketflow.testing.server import serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

sender_available = importlib.util.find_spec("ticketflow.runtime.sender") is not None
NEEDS_SENDER = "the delivery half needs the durable sender (ticketflow.runtime.sender), not merged yet"


@dataclass
class Served:
    runtime: Runtime
    url: str
    headers: dict[str, str]
    """An API key that may read tickets."""

    def webhook(self, desk: str) -> str:
        return f"{self.url}/webhooks/{desk}"

    def tickets(self, channel: str) -> list[dict[str, Any]]:
        """Every ticket the channel created: id, external id, status."""
        table = tables.tickets
        query = sa.select(table.c.id, table.c.external_id, table.c.status).where(table.c.channel == channel)
        with self.runtime.store.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query.order_by(table.c.id))]

    def ignored(self) -> list[dict[str, Any]]:
        """The ``webhook.ignored`` audit events' details."""
        table = tables.audit_log
        with self.runtime.store.engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.detail).where(table.c.event == "webhook.ignored")).all()
        return [row[0] for row in rows]

    def processed(self, ticket_id: str) -> dict[str, Any]:
        """The ticket's view once its workflow has finished, as ``GET /v1/tickets/{id}`` shows it."""
        self.runtime.result(TicketId(ticket_id))
        view = httpx.get(f"{self.url}/v1/tickets/{ticket_id}", headers=self.headers, timeout=30)
        assert view.status_code == 200, view.text
        body: dict[str, Any] = view.json()
        return body

    def passes(self, desk: str) -> list[dict[str, int]]:
        """The results of the desk's finished polling passes."""
        finished = DBOS.list_workflows(name=PASS_WORKFLOW, status="SUCCESS")
        return [w.output for w in finished if w.input and desk in (w.input.get("args") or ())]

    def wait_for_passes(self, desk: str, more_than: int) -> None:
        wait_until(lambda: len(self.passes(desk)) > more_than, f"{more_than + 1} polling passes of {desk}")


def desk_settings(tmp_path: Path, database_url: str, system_database_url: str, **channels: Any) -> Settings:
    return Settings.load(
        STORE,
        data_dir=tmp_path / "var",
        database_url=database_url,
        system_database_url=system_database_url,
        channels=channels,
    )


@contextmanager
def served(settings: Settings, models: TrainedModels) -> Iterator[Served]:
    """The app over a started runtime, on a loopback port, until the block ends."""
    engine = Engine.from_workspace(settings=settings, models=models)
    _, token = engine.api_keys.create("e2e", frozenset({Scope.READ}))
    runtime = Runtime(engine)
    runtime.start()
    try:
        app = create_app(runtime, manage_runtime=False)
        if not any(getattr(r, "path", "").startswith("/webhooks/") for r in app.routes):
            # until api/app.py mounts the webhook routes itself
            from ticketflow.api.routes import webhooks
            from ticketflow.api.security import Guard

            app.include_router(webhooks.router(runtime, Guard(engine.api_keys)))
        with serve(app) as server:
            yield Served(runtime, server.url, {"Authorization": f"Bearer {token}"})
    finally:
        runtime.stop()
        engine.close()
