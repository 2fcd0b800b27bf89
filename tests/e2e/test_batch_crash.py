"""Kill test for off-peak batching: SIGKILL the runtime while it submits a Message Batch, restart it, and
check that no request was submitted (paid for) twice and every ticket was delivered exactly once.

The fake Anthropic API runs in this process (loopback); the runtime runs in a subprocess on file
databases. The fake creates the batch as soon as the request arrives but withholds its response, so the
kill lands at the worst moment: the batch exists, the runtime has not learnt its id. Before the claims,
the collector's submit step ran again after the restart and submitted the same requests a second time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from support import (
    STORE,
    WORKER_READY,
    api_key_headers,
    free_port,
    rows,
    stop_process,
    wait_for_line,
    wait_healthy,
    wait_until,
)
from ticketflow.testing.fake_anthropic import FakeAnthropic, support_responder
from ticketflow.testing.server import serve

pytestmark = pytest.mark.slow

QUESTIONS = [
    "How do I change the delivery address on an order that hasn't shipped?",
    "Where can I download the invoice for my last order?",
    "How do I update the email address on my profile?",
]


class WithholdBatchCreates:
    """ASGI wrapper: a batch is created, but the response waits until ``release`` (bounded)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.created = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        creating = scope["type"] == "http" and scope["method"] == "POST"
        if not creating or scope["path"] != "/v1/messages/batches" or self.release.is_set():
            await self.app(scope, receive, send)
            return
        messages: list[Any] = []

        async def keep(message: Any) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        self.created.set()
        deadline = time.monotonic() + 120
        while not self.release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        try:
            for message in messages:
                await send(message)
        except Exception:  # the client was killed: nobody reads this response
            return


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_sigkill_while_submitting_a_batch_never_pays_twice(tmp_path: Path) -> None:
    fake = FakeAnthropic(responder=support_responder, batch_polls=1)
    gate = WithholdBatchCreates(fake.app)
    app_url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "sk-test",
        "TICKETFLOW_PROVIDER": "anthropic",
        "TICKETFLOW_DATA_DIR": str(tmp_path / "var"),
        "TICKETFLOW_DATABASE_URL": app_url,
        "TICKETFLOW_SYSTEM_DATABASE_URL": f"sqlite:///{tmp_path / 'dbos.sqlite'}",
        "TICKETFLOW_RUNTIME__POLLING_INTERVAL_SEC": "0.05",
        "TICKETFLOW_ANTHROPIC__BATCH__ENABLED": "true",
        "TICKETFLOW_ANTHROPIC__BATCH__CHANNELS": '["email"]',
        "TICKETFLOW_ANTHROPIC__BATCH__BUSINESS_DAYS": "[]",  # never open: every email waits
        "TICKETFLOW_ANTHROPIC__BATCH__SCHEDULE": "* * * * * *",
        "TICKETFLOW_ANTHROPIC__BATCH__POLL_INTERVAL_S": "0.2",
    }
    env.pop("TICKETFLOW_TEST_DATABASE_URL", None)
    log = tmp_path / "runs.log"
    key = api_key_headers(app_url)
    with serve(gate) as api:
        env["ANTHROPIC_BASE_URL"] = api.url

        def start(args: list[str]) -> subprocess.Popen[bytes]:
            with log.open("ab") as handle:
                return subprocess.Popen(
                    [sys.executable, "-m", "ticketflow.cli", *args, "--workspace", str(STORE)],
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )

        port = free_port()
        server = start(["serve", "--port", str(port)])
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, server, log=log)
            ids = []
            for n, text in enumerate(QUESTIONS):
                body = {"channel": "email", "external_id": f"b-{n}", "customer": {"email": "kim@example.com"}}
                response = httpx.post(
                    f"{base}/v1/messages", json={**body, "text": text}, headers=key, timeout=10
                )
                assert response.status_code == 202, response.text
                ids.append(response.json()["ticket_id"])
            wait_until(gate.created.is_set, "a batch to be submitted", process=server, log=log)
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
        gate.release.set()

        db = sa.create_engine(app_url)
        in_window = {r[0] for r in rows(db, "SELECT ticket_id FROM batch_items WHERE state = 'claimed'")}
        assert in_window, "the kill did not land between claiming and recording the batch"
        assert not rows(db, "SELECT 1 FROM batch_items WHERE batch_id IS NOT NULL")

        started_at = log.stat().st_size
        worker = start(["worker"])
        try:
            done = "SELECT count(*) FROM tickets WHERE status = 'done'"
            wait_for_line(log, WORKER_READY, worker, after=started_at)
            wait_until(
                lambda: rows(db, done)[0][0] == len(ids),
                "every ticket to finish after restart",
                process=worker,
                log=log,
            )
        finally:
            stop_process(worker)

    creates = [r for r in fake.requests if r.path == "/v1/messages/batches" and "requests" in r.body]
    submitted = Counter(entry["custom_id"] for r in creates for entry in r.body["requests"])
    assert submitted == Counter({f"{t}-1": 1 for t in ids}), f"a request was submitted twice: {submitted}"
    sent = Counter(r[0] for r in rows(db, "SELECT ticket_id FROM outbox"))
    reviewed = dict(rows(db, "SELECT ticket_id, reason FROM reviews"))
    for ticket_id in ids:
        assert sent[ticket_id] + (ticket_id in reviewed) == 1, f"{ticket_id} delivered more or less than once"
        if ticket_id in in_window:  # its batch may exist: handed off, never resubmitted
            assert reviewed.get(ticket_id) == "batch_in_doubt"
        else:
            assert sent[ticket_id] == 1
    assert "ALERT a batch submission" in log.read_text()
