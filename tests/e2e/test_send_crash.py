"""Kill test for the sender: SIGKILL ``ticketflow serve`` while replies are being handed to the receiving mail
server, restart a worker, and check that every mail got exactly one reply (one Message-ID), none lost.

The receiving server keeps each message and withholds its answer to DATA until the test opens its gate, so
the kill lands while a send step is inside its SMTP transaction, after the message landed: its
``deliveries`` row says ``queued``. The restarted worker sends the ``queued`` ones again with the same
Message-ID. So each mail gets exactly one reply (one Message-ID, one copy in a receiver that dedupes by
Message-ID); a reply whose send was cut off after it landed arrives twice as raw copies (at most one per
send), since SMTP takes no idempotency key: the test asserts that such a window was hit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import subprocess
import sys
import threading
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import SMTP, Envelope, Session

from support import STORE, WORKER_READY, free_port, stop_process, wait_for_line, wait_healthy, wait_until
from ticketflow.testing.mail import MailReceiver

pytestmark = pytest.mark.slow

SUPPORT = "support@store.test"
MAILS = 6


class HeldReceiver(MailReceiver):
    """A receiver that keeps each message at once and answers its DATA only when ``gate`` is set.

    Keeping it first is what a real server does (it commits, then answers ``250``), and it is the hard case:
    the message has landed but the sender, killed before the answer, cannot know it. (aiosmtpd cancels the
    handler of a connection that is lost, so a receiver that kept the message only when answering would
    never keep a message whose sender was killed.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.held = 0
        self._controller.handler = self  # type: ignore[attr-defined]

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = self._take(envelope)
        with self._lock:
            self.held += 1
        await asyncio.to_thread(self.gate.wait, 300)
        return answer


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "ticketflow.cli", *args, "--workspace", str(STORE)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def _mail(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"customer{n}@example.com"
    message["To"] = SUPPORT
    message["Subject"] = f"Question {n}"
    message["Message-ID"] = f"<crash-{n}@example.com>"
    message.set_content("How long does standard delivery take?")
    return message


def _deliveries(db: sa.Engine) -> list[tuple[str, str, str | None, int]]:
    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT ticket_id, status, message_id, attempts FROM deliveries")).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_sigkill_while_replies_are_sent_delivers_each_reply_once(tmp_path: Path) -> None:
    app_url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    smtp_port = free_port()
    with HeldReceiver() as receiver:
        env = {
            **os.environ,
            "TICKETFLOW_DATA_DIR": str(tmp_path / "var"),
            "TICKETFLOW_DATABASE_URL": app_url,
            "TICKETFLOW_SYSTEM_DATABASE_URL": f"sqlite:///{tmp_path / 'dbos.sqlite'}",
            "TICKETFLOW_RUNTIME__POLLING_INTERVAL_SEC": "0.05",
            "TICKETFLOW_CHANNELS__EMAIL__LISTEN": f"127.0.0.1:{smtp_port}",
            "TICKETFLOW_CHANNELS__EMAIL__ADDRESSES": f'["{SUPPORT}"]',
            "TICKETFLOW_CHANNELS__EMAIL__FROM_ADDRESS": SUPPORT,
            "TICKETFLOW_CHANNELS__EMAIL__OUTBOUND": receiver.url,
            "TICKETFLOW_CHANNELS__EMAIL__TIMEOUT_SECONDS": "5",
            "TICKETFLOW_DELIVERY__BACKOFF_S": "0.2",
        }
        env.pop("TICKETFLOW_TEST_DATABASE_URL", None)
        log = tmp_path / "runs.log"
        port = free_port()
        server = _start(["serve", "--port", str(port)], env, log)
        db = sa.create_engine(app_url)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", server, log=log)
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
                for n in range(MAILS):
                    smtp.send_message(_mail(n), from_addr=f"customer{n}@example.com", to_addrs=[SUPPORT])
            wait_until(
                lambda: receiver.held >= 1, "a reply to be held by the receiver", process=server, log=log
            )
            wait_until(
                lambda: any(status == "queued" for _, status, _, _ in _deliveries(db)),
                "a queued delivery",
                process=server,
                log=log,
            )
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
        sent_before = {t for t, status, _, _ in _deliveries(db) if status == "sent"}
        assert len(sent_before) < MAILS, "the kill came after every reply was sent"
        receiver.gate.set()  # the held transactions complete: the receiver keeps those messages

        started_at = log.stat().st_size
        worker = _start(["worker"], env, log)
        try:
            wait_for_line(log, WORKER_READY, worker, after=started_at)
            wait_until(
                lambda: [s for _, s, _, _ in _deliveries(db)].count("sent") == MAILS,
                "every reply to be sent after the restart",
                process=worker,
                log=log,
            )
        finally:
            stop_process(worker)
        received = list(receiver.messages)

    rows = _deliveries(db)
    assert len(rows) == MAILS and all(status == "sent" for _, status, _, _ in rows)
    ids = [r.message["Message-ID"] for r in received]
    answered = {r.message["In-Reply-To"] for r in received}
    assert answered == {f"<crash-{n}@example.com>" for n in range(MAILS)}, "a mail went unanswered"
    for ticket_id, _, message_id, attempts in rows:
        copies = ids.count(message_id)
        assert copies >= 1, f"{ticket_id}: its reply never arrived"
        # SMTP takes no idempotency key: a send cut off inside its transaction may have landed, and its
        # resend is a second copy of the same message (same Message-ID), never a second reply
        assert copies <= attempts, f"{ticket_id}: {copies} copies from {attempts} sends"
        if ticket_id in sent_before:
            assert copies == 1, f"{ticket_id}: a reply recorded as sent before the kill was sent again"
        replies_to = {r.message["In-Reply-To"] for r in received if r.message["Message-ID"] == message_id}
        assert len(replies_to) == 1
    assert len(set(ids)) == MAILS, "two different replies were sent for the same mail"
    resumed = [t for t, _, _, attempts in rows if attempts > 1]
    assert resumed, "no send was caught in flight: the kill tested nothing"
    assert len(ids) > MAILS, "no reply had landed before the kill: the hard window was not tested"
    assert not set(resumed) & sent_before
