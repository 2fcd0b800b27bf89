"""Kill test: SIGKILL the runtime mid-run, restart it, and check that nothing is lost or done twice.

The server runs in a subprocess on file databases, with a simulated model latency so the kill lands
while tickets are in flight. After a restart (a plain worker), every ticket must reach exactly one final
outcome, no reply may be delivered twice, and a generation step that had completed before the kill must
not call the model again.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from dbos import DBOSClient

from support import (
    STORE,
    WORKER_READY,
    api_key_headers,
    free_port,
    stop_process,
    wait_for_line,
    wait_healthy,
    wait_until,
)

pytestmark = pytest.mark.slow

TICKETS = [
    "How do I change the delivery address on an order that hasn't shipped?",
    "Can I add another item to my order before it ships?",
    "Where can I download the invoice for my last order?",
    "How do I create an account to save my addresses?",
    "How can I track the status of my refund?",
    "How do I switch my account to the Plus plan?",
    "How do I update the email address on my profile?",
    "I want to place an order for two camping chairs, how do I do that?",
    "Can I cancel an order I placed an hour ago?",
    "How do I save a second shipping address for my office?",
    "I get an error when I try to sign up, what should I do?",
    "I'd like to leave a review for the kettle I bought.",
]
MODEL_CALL = re.compile(r"model call ticket=(t_[\w-]+) attempt=(\d+)")


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "ticketflow.cli", *args, "--workspace", str(STORE)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def _status_counts(db: sa.Engine) -> Counter[str]:
    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT status FROM tickets")).all()
    return Counter(r[0] for r in rows)


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_sigkill_mid_run_loses_nothing_and_repeats_nothing(tmp_path: Path) -> None:
    app_url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    sys_url = f"sqlite:///{tmp_path / 'dbos.sqlite'}"
    env = {
        **os.environ,
        "TICKETFLOW_DATA_DIR": str(tmp_path / "var"),
        "TICKETFLOW_DATABASE_URL": app_url,
        "TICKETFLOW_SYSTEM_DATABASE_URL": sys_url,
        "TICKETFLOW_OFFLINE_LATENCY_MS": "400",
        "TICKETFLOW_RUNTIME__WORKER_CONCURRENCY": "2",
        "TICKETFLOW_RUNTIME__POLLING_INTERVAL_SEC": "0.05",
        "TICKETFLOW_LOG_LEVEL": "INFO",
    }
    env.pop("TICKETFLOW_TEST_DATABASE_URL", None)
    log = tmp_path / "runs.log"
    key = api_key_headers(app_url)
    port = free_port()
    server = _start(["serve", "--port", str(port)], env, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, server, log=log)
        ids = []
        for n, text in enumerate(TICKETS):
            body = {
                "channel": "chat",
                "external_id": f"kill-{n}",
                "customer": {"email": "kim@example.com"},
                "text": text,
            }
            response = httpx.post(f"{base}/v1/messages", json=body, headers=key, timeout=10)
            assert response.status_code == 202, response.text
            ids.append(response.json()["ticket_id"])
        db = sa.create_engine(app_url)
        wait_until(
            lambda: _status_counts(db)["done"] >= 3, "a few tickets to finish", process=server, log=log
        )
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)

    done_before = _status_counts(db)["done"]
    assert done_before < len(TICKETS), "the kill came too late to test anything; raise the simulated latency"
    client = DBOSClient(system_database_url=sys_url)
    generated_before_kill = {
        f"msg:chat:kill-{n}"
        for n in range(len(TICKETS))
        if any(s["function_name"] == "generation" for s in client.list_workflow_steps(f"msg:chat:kill-{n}"))
    }
    client.destroy()

    started_at = log.stat().st_size
    worker = _start(["worker"], env, log)
    try:
        wait_for_line(log, WORKER_READY, worker, after=started_at)
        wait_until(
            lambda: _status_counts(db)["done"] == len(TICKETS),
            "every ticket to finish after restart",
            process=worker,
            log=log,
        )
    finally:
        stop_process(worker)

    with db.connect() as conn:
        tickets = conn.execute(sa.text("SELECT id, outcome FROM tickets")).all()
        sent = Counter(r[0] for r in conn.execute(sa.text("SELECT ticket_id FROM outbox")).all())
        reviewed = Counter(r[0] for r in conn.execute(sa.text("SELECT ticket_id FROM reviews")).all())
        replies = conn.execute(sa.text("SELECT count(*) FROM messages WHERE role = 'agent'")).scalar_one()
    assert sorted(t[0] for t in tickets) == sorted(ids)
    assert all(t[1] in {"sent", "review", "escalated"} for t in tickets)
    for ticket_id, outcome in tickets:
        assert sent[ticket_id] + reviewed[ticket_id] == 1, f"{ticket_id} delivered {sent[ticket_id]}x"
        assert (sent[ticket_id] == 1) == (outcome == "sent")
    assert replies == sum(sent.values()), "a reply was written to the conversation twice"

    calls = Counter(MODEL_CALL.findall(log.read_text()))
    ticket_of = {f"msg:chat:kill-{n}": ids[n] for n in range(len(TICKETS))}
    assert generated_before_kill, "no generation step had completed before the kill"
    for workflow_id in generated_before_kill:
        ticket_id = ticket_of[workflow_id]
        assert calls[(ticket_id, "1")] == 1, (
            f"{ticket_id}: a completed generation step called the model again"
        )
