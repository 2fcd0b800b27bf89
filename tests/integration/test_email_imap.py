"""IMAP polling against a real Dovecot on loopback: checkpoint, only new mail, UIDVALIDITY reset, unread kept.

Needs the Debian package ``dovecot-imapd`` (``/usr/sbin/dovecot``); skipped with the reason when absent.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient  # type: ignore[import-untyped]

from ticketflow.channels.email.imap import Checkpoint, poll
from ticketflow.errors import DeliveryRefused

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.access(DOVECOT, os.X_OK),
        reason="Dovecot is not installed: apt-get install -y dovecot-imapd",
    ),
]
USER, PASSWORD = "support", "imap-test-secret"
ENV = {"TF_IMAP_PASSWORD": PASSWORD}


@dataclass(frozen=True)
class Server:
    port: int
    mail: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _config(root: Path, port: int, mail_uid: int, mail_gid: int) -> str:
    # as root, Dovecot refuses to run its login processes or mail access as root: keep its own users then
    users = (
        ""
        if os.geteuid() == 0
        else (
            f"default_internal_user = {pwd.getpwuid(os.getuid()).pw_name}\n"
            f"default_login_user = {pwd.getpwuid(os.getuid()).pw_name}\n"
        )
    )
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 0
{users}mail_location = maildir:{root}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/mail/%u
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Server]:
    # a directory of its own, readable by Dovecot's unprivileged processes (pytest's tmp_path is 0700)
    root = Path(tempfile.mkdtemp(prefix="tf-dovecot-"))
    root.chmod(0o755)
    mail_uid, mail_gid = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    (root / "mail").mkdir()
    os.chown(root / "mail", mail_uid, mail_gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(_config(root, port, mail_uid, mail_gid))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    if probe.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                    pytest.fail(f"Dovecot did not start on port {port}:\n{log}")
                time.sleep(0.05)  # polling a starting server with a deadline, not waiting for timing
        yield Server(port, root / "mail")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)


def _append(server: Server, *numbers: int) -> None:
    with IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=5) as client:
        client.login(USER, PASSWORD)
        for n in numbers:
            raw = (
                f"From: ada@example.com\r\nTo: support@northwind.example\r\nSubject: Order {n}\r\n"
                f"Message-ID: <m-{n}@example.com>\r\n\r\nWhere is order {n}?\r\n"
            ).encode()
            client.append("INBOX", raw)


def _poll(server: Server, checkpoint: Checkpoint | None = None) -> tuple[list[str], Checkpoint, bool]:
    found = poll(
        "127.0.0.1", server.port, USER, "TF_IMAP_PASSWORD", "INBOX", checkpoint, security="plain", environ=ENV
    )
    lines = [line for m in found.messages for line in m.raw.decode().splitlines()]
    subjects = [line for line in lines if line.startswith("Subject:")]
    return subjects, found.checkpoint, found.resynced


def test_polling_returns_only_new_mail_after_the_checkpoint(dovecot: Server) -> None:
    _append(dovecot, 1, 2)
    subjects, first, _ = _poll(dovecot)
    assert subjects == ["Subject: Order 1", "Subject: Order 2"]
    assert first.uid == 2

    nothing, same, _ = _poll(dovecot, first)
    assert nothing == [], "UID last+1:* returns the last message: it must be filtered out"
    assert same == first

    _append(dovecot, 3)
    subjects, second, resynced = _poll(dovecot, first)
    assert subjects == ["Subject: Order 3"]
    assert second == Checkpoint(first.uidvalidity, 3) and not resynced


def test_a_changed_uidvalidity_voids_the_checkpoint(dovecot: Server) -> None:
    _append(dovecot, 1, 2)
    _, checkpoint, _ = _poll(dovecot)
    stale = Checkpoint(checkpoint.uidvalidity - 1, 999)
    subjects, fresh, resynced = _poll(dovecot, stale)
    assert resynced and subjects == ["Subject: Order 1", "Subject: Order 2"]
    assert fresh == checkpoint


def test_polling_leaves_messages_unread(dovecot: Server) -> None:
    _append(dovecot, 1)
    _poll(dovecot)
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=5) as client:
        client.login(USER, PASSWORD)
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UNSEEN"]) == [1]


def test_a_wrong_password_is_refused_not_retried(dovecot: Server) -> None:
    with pytest.raises(DeliveryRefused, match="refused the login"):
        poll("127.0.0.1", dovecot.port, USER, "PW", security="plain", environ={"PW": "wrong"})
