"""A worker asked to stop (SIGTERM) while a ticket waits for its off-peak batch exits promptly, and the
ticket resumes at the next start. The wait is a ``DBOS.recv`` of up to ``max_wait_s`` (26 hours by
default) on a thread the interpreter would otherwise join before the process could end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from support import (
    READY_CEILING_S,
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

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="needs SIGTERM")]

NEVER = "0 0 0 1 1 *"  # the collector's schedule: only on 1 January at midnight
WORKFLOW = "msg:email:g-1"


def test_sigterm_while_a_ticket_waits_for_its_batch_exits_and_the_ticket_resumes(tmp_path: Path) -> None:
    app_url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    system_url = f"sqlite:///{tmp_path / 'dbos.sqlite'}"
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "sk-test",
        "TICKETFLOW_PROVIDER": "anthropic",
        "TICKETFLOW_DATA_DIR": str(tmp_path / "var"),
        "TICKETFLOW_DATABASE_URL": app_url,
        "TICKETFLOW_SYSTEM_DATABASE_URL": system_url,
        "TICKETFLOW_RUNTIME__POLLING_INTERVAL_SEC": "0.05",
        "TICKETFLOW_ANTHROPIC__BATCH__ENABLED": "true",
        "TICKETFLOW_ANTHROPIC__BATCH__CHANNELS": '["email"]',
        "TICKETFLOW_ANTHROPIC__BATCH__BUSINESS_DAYS": "[]",  # never open: every email waits
        "TICKETFLOW_ANTHROPIC__BATCH__SCHEDULE": NEVER,
        "TICKETFLOW_ANTHROPIC__BATCH__POLL_INTERVAL_S": "0.2",
    }
    env.pop("TICKETFLOW_TEST_DATABASE_URL", None)
    log = tmp_path / "runs.log"
    key = api_key_headers(app_url)
    system, app = sa.create_engine(system_url), sa.create_engine(app_url)
    fake = FakeAnthropic(responder=support_responder, batch_polls=1)
    with serve(fake.app) as api:
        env["ANTHROPIC_BASE_URL"] = api.url

        def start(command: str, **overrides: str) -> subprocess.Popen[bytes]:
            with log.open("ab") as handle:
                return subprocess.Popen(
                    [sys.executable, "-m", "ticketflow.cli", *command.split(), "-w", str(STORE)],
                    env={**env, **overrides},
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )

        def ends_on_sigterm(process: subprocess.Popen[bytes]) -> int:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout=READY_CEILING_S)
            except subprocess.TimeoutExpired:
                pytest.fail(f"still running {READY_CEILING_S:.0f}s after SIGTERM:\n{log.read_text()}")

        port = free_port()
        server = start(f"serve --port {port}")
        try:
            wait_healthy(f"http://127.0.0.1:{port}", server, log=log)
            body = {"channel": "email", "external_id": "g-1", "customer": {"email": "kim@example.com"}}
            text = "How do I change the delivery address on an order that hasn't shipped?"
            response = httpx.post(
                f"http://127.0.0.1:{port}/v1/messages", json={**body, "text": text}, headers=key, timeout=10
            )
            assert response.status_code == 202, response.text
            ticket_id = response.json()["ticket_id"]
            steps = "SELECT function_name FROM operation_outputs WHERE workflow_uuid = :wf"
            # the durable timeout DBOS.recv records before it waits: the ticket now waits for a batch
            wait_until(
                lambda: ("DBOS.sleep",) in rows(system, steps, wf=WORKFLOW),
                "the ticket to wait for its batch",
                process=server,
                log=log,
            )
            ends_on_sigterm(server)  # uvicorn re-raises the signal it caught: the code is -15 or 0
        finally:
            stop_process(server)

        worker = start("worker")
        try:
            recovered = "SELECT recovery_attempts FROM workflow_status WHERE workflow_uuid = :wf"
            wait_until(
                lambda: rows(system, recovered, wf=WORKFLOW) == [(2,)], "recovery", process=worker, log=log
            )
            wait_for_line(log, WORKER_READY, worker)
            time.sleep(1.0)  # replaying the recorded steps up to the wait takes milliseconds
            assert ends_on_sigterm(worker) == 0, log.read_text()
        finally:
            stop_process(worker)
        assert "workflow thread(s) cut off" in log.read_text()
        assert not rows(app, "SELECT 1 FROM outbox"), "nothing was sent before the batch"

        restarted = start("worker", TICKETFLOW_ANTHROPIC__BATCH__SCHEDULE="* * * * * *")
        try:
            wait_until(
                lambda: rows(app, "SELECT ticket_id FROM outbox") == [(ticket_id,)],
                "the waiting ticket to be batched and sent after the restart",
                process=restarted,
                log=log,
            )
        finally:
            stop_process(restarted)
    batches = [r for r in fake.requests if r.path == "/v1/messages/batches" and "requests" in r.body]
    assert [entry["custom_id"] for r in batches for entry in r.body["requests"]] == [f"{ticket_id}-1"]
