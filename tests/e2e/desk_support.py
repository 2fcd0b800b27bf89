"""What the helpdesk end-to-end tests share: the API over a started runtime on a loopback port (so a fake
helpdesk can POST its webhooks to it), the tickets a desk created, polling passes, and the delivery
scenarios every helpdesk must pass, written once against :class:`DeskUnderTest`:

- :func:`reply_lands`: an answered message leaves one public reply, the answered tag and the configured
  status;
- :func:`handoff_lands`: an escalated one leaves one internal note with the whole handoff package, the group
  or team its reason maps to, and the escalation tag, and no public reply;
- :func:`rate_limited_reply_lands`: a 429 on the reply is waited out for as long as the helpdesk asked;
- :func:`sigkill_during_delivery`: a server killed between the helpdesk's answer and our record of it, and a
  worker that finishes the delivery, leave exactly one message;
- :func:`assert_stored_nowhere` / :func:`assert_logged_nowhere`: the helpdesk's secrets are in neither the
  databases nor the processes' output.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import sqlalchemy as sa
from dbos import DBOS, DBOSClient
from fastapi import FastAPI, Request, Response

from support import (
    READY_CEILING_S,
    STORE,
    WORKER_READY,
    stop_process,
    wait_for_line,
    wait_healthy,
    wait_until,
)
from ticketflow.api.app import create_app
from ticketflow.domain.access import Scope
from ticketflow.domain.ids import TicketId
from ticketflow.runtime.polling_desks import PASS_WORKFLOW
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.storage import tables
from ticketflow.testing.fake_helpdesk import Logged
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

    @property
    def database_url(self) -> str:
        return self.runtime.engine.settings.resolved_database_url

    @property
    def system_database_url(self) -> str:
        return self.runtime.engine.settings.resolved_system_database_url

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


# the delivery scenarios

ANSWERED = "How long does standard delivery take to Germany?"
"""The sample store answers this (its delivery policy)."""
REFUND = "The blender arrived broken. I want my money back, refund me please."
"""The sample store escalates this (reason ``refund``)."""
ANSWERED_TAG = "ticketflow-answered"
ESCALATED_TAG = "ticketflow-escalated-refund"


class DeskUnderTest(Protocol):
    """One fake helpdesk as the scenarios drive and read it; ``ref`` is its ticket or conversation id."""

    name: str

    def open(self, text: str) -> str:
        """A customer opens a ticket with ``text``; its ref."""
        ...

    def deliver(self, url: str, ref: str) -> httpx.Response:
        """The helpdesk's signed webhook about the ticket's newest message, posted to ``url``."""
        ...

    def ours(self, ref: str, *, public: bool) -> list[str]:
        """The text of what ticketflow posted on the ticket: public replies, or internal notes."""
        ...

    def tags(self, ref: str) -> list[str]: ...

    def assigned(self, ref: str) -> str | None:
        """The group or team the ticket is assigned to."""
        ...

    def status(self, ref: str) -> object: ...

    def rate_limit_reply(self, ref: str) -> float:
        """Answer the next reply to the ticket with a 429; how long the helpdesk asks the client to wait."""
        ...

    def reply_calls(self, ref: str) -> list[Logged]:
        """The requests that posted (or tried to post) a public reply to the ticket."""
        ...


def normalised(text: str) -> str:
    return " ".join(text.split())


def _accepted(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    (accepted,) = response.json()["accepted"]
    assert accepted["duplicate"] is False
    return str(accepted["ticket_id"])


def reply_lands(app: Served, desk: DeskUnderTest, *, status: object) -> None:
    """An answered message: one public reply with the sent text, the answered tag, ``status``, no note."""
    ref = desk.open(ANSWERED)
    ticket = _accepted(desk.deliver(app.webhook(desk.name), ref))
    view = app.processed(ticket)
    assert view["outcome"] == "sent", view
    wait_until(lambda: desk.ours(ref, public=True), f"the reply on the {desk.name} ticket")
    wait_until(lambda: ANSWERED_TAG in desk.tags(ref), "the answered tag")
    wait_until(lambda: desk.status(ref) == status, f"the status after an answer ({status!r})")
    (reply,) = desk.ours(ref, public=True)
    sent = app.runtime.store.outbox.reply(TicketId(ticket))
    assert sent and normalised(reply) == normalised(sent)
    assert desk.ours(ref, public=False) == []


def handoff_lands(app: Served, desk: DeskUnderTest, *, assigned: str) -> None:
    """An escalated message: one internal note carrying every part of the package, the ticket assigned to
    the group or team the reason maps to, the escalation tag, and nothing said to the customer."""
    ref = desk.open(REFUND)
    ticket = _accepted(desk.deliver(app.webhook(desk.name), ref))
    view = app.processed(ticket)
    assert view["outcome"] == "escalated", view
    package = app.runtime.store.reviews.handoff(TicketId(ticket))
    assert package is not None and package.reason == "refund"
    wait_until(lambda: desk.ours(ref, public=False), f"the handoff note on the {desk.name} ticket")
    wait_until(lambda: desk.assigned(ref) == assigned, f"the assignment to {assigned}")
    wait_until(lambda: ESCALATED_TAG in desk.tags(ref), "the escalation tag")
    (note,) = desk.ours(ref, public=False)
    parts = [package.summary, package.reason, *package.tried, package.context_excerpt]
    parts += [package.suggested_reply] if package.suggested_reply else []
    missing = [p for p in parts if p.strip() and normalised(p) not in normalised(note)]
    assert not missing, f"the note lacks {missing}: {note!r}"
    assert desk.ours(ref, public=True) == []


def rate_limited_reply_lands(app: Served, desk: DeskUnderTest) -> None:
    """The helpdesk answers the reply with a 429: it is sent again no sooner than asked, and lands once."""
    ref = desk.open(ANSWERED)
    asked = desk.rate_limit_reply(ref)
    ticket = _accepted(desk.deliver(app.webhook(desk.name), ref))
    app.processed(ticket)
    wait_until(lambda: desk.ours(ref, public=True), "the reply after the 429")
    refused, landed = desk.reply_calls(ref)
    assert refused.scripted == 429 and landed.scripted is None
    assert landed.at - refused.at >= asked * 0.9, "the retry came before the wait the helpdesk asked for"
    assert len(desk.ours(ref, public=True)) == 1


def withhold_first_answer(
    app: FastAPI, is_delivery: Callable[[Request], bool]
) -> tuple[threading.Event, threading.Event]:
    """The first request ``is_delivery`` picks is served, but its answer waits for ``release``: the
    helpdesk has done the work and the caller does not know it. Returns (landed, release)."""
    landed, release = threading.Event(), threading.Event()

    @app.middleware("http")
    async def withhold(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if is_delivery(request) and not landed.is_set():
            landed.set()
            await asyncio.to_thread(release.wait, READY_CEILING_S)
        return response

    return landed, release


@dataclass(frozen=True, slots=True)
class Killed:
    """What :func:`sigkill_during_delivery` saw: ours before the restart and after it, and the output of
    both processes."""

    before: list[Any]
    after: list[Any]
    log: str


def sigkill_during_delivery(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    *,
    desk: str,
    fake_app: FastAPI,
    is_delivery: Callable[[Request], bool],
    environment: Mapping[str, str],
    deliver: Callable[[str], httpx.Response],
    ours: Callable[[], list[Any]],
) -> Killed:
    """``ticketflow serve`` takes the webhook ``deliver`` posts to the base URL it is given, and is killed
    (SIGKILL) once the helpdesk has taken the delivery but before its answer comes back; then a
    ``ticketflow worker`` on the same databases runs until every workflow is settled."""
    landed, release = withhold_first_answer(fake_app, is_delivery)
    env = {
        **os.environ,
        "TICKETFLOW_DATA_DIR": str(tmp_path / "var"),
        "TICKETFLOW_DATABASE_URL": database_url,
        "TICKETFLOW_SYSTEM_DATABASE_URL": system_database_url,
        **environment,
    }
    env.pop("TICKETFLOW_TEST_DATABASE_URL", None)
    log = tmp_path / "runs.log"

    def start(*args: str) -> subprocess.Popen[bytes]:
        with log.open("ab") as handle:
            command = [sys.executable, "-m", "ticketflow.cli", *args, "--workspace", str(STORE)]
            return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served_process = start("serve", "--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, served_process, log=log)
        response = deliver(f"{base}/webhooks/{desk}")
        assert response.status_code == 202, response.text
        wait_until(landed.is_set, f"the delivery to reach {desk}", process=served_process, log=log)
    finally:
        served_process.send_signal(signal.SIGKILL)
        served_process.wait(timeout=30)
        release.set()
    before = ours()
    assert len(before) == 1, f"the delivery landed before the kill: {before}"

    started_at = log.stat().st_size
    worker = start("worker")
    try:
        wait_for_line(log, WORKER_READY, worker, after=started_at)
        client = DBOSClient(system_database_url=system_database_url)
        try:
            wait_until(
                lambda: not client.list_workflows(status=["PENDING", "ENQUEUED"]),
                "the restarted worker to settle every workflow",
                process=worker,
                log=log,
            )
        finally:
            client.destroy()
    finally:
        stop_process(worker)
    return Killed(before, ours(), log.read_text(errors="replace"))


# secrets: never stored, never logged


def _encoded(secret: str) -> list[str]:
    """``secret`` as it reads inside any base64 text (DBOS stores step results as base64 pickles): the
    characters that encode only its own bytes, for each of the three alignments it can have."""
    raw = secret.encode()
    forms = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        forms.append(encoded[-(-8 * shift // 6) : 8 * (shift + len(raw)) // 6])
    return forms


def assert_logged_nowhere(output: str, *secrets: str) -> None:
    leaked = [s for s in secrets if s in output]
    assert not leaked, f"secrets {leaked} were written to the processes' output"


def assert_stored_nowhere(database_url: str, system_database_url: str, *secrets: str) -> None:
    """No table of either database holds a secret, as text or inside base64 (checked row by row)."""
    needles = {s: [s, *_encoded(s)] for s in secrets}
    found: list[str] = []
    for url in dict.fromkeys((database_url, system_database_url)):
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                for table in _tables(conn):
                    for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                        text = repr(tuple(row))
                        found += [
                            f"{s} in {table}" for s, fs in needles.items() if any(f in text for f in fs)
                        ]
        finally:
            engine.dispose()
    assert not found, f"secrets were stored: {sorted(set(found))}"


def _tables(conn: sa.Connection) -> list[str]:
    if conn.dialect.name == "sqlite":
        names = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars()
        return [f'"{n}"' for n in names]
    rows = conn.execute(
        sa.text(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
    )
    return [f'"{schema}"."{name}"' for schema, name in rows]
