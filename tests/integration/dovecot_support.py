"""A real Dovecot IMAP server on a loopback port, configured in a temporary directory by the test itself.

Needs the Debian package ``dovecot-imapd`` (``/usr/sbin/dovecot``; ``.ci/run`` installs it when missing);
tests using it are skipped with the reason when it is absent (``NEEDS_DOVECOT``).
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient  # type: ignore[import-untyped]

from support import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
NEEDS_DOVECOT = pytest.mark.skipif(
    not os.access(DOVECOT, os.X_OK), reason="Dovecot is not installed: apt-get install -y dovecot-imapd"
)
USER, PASSWORD = "support", "imap-test-secret"


@dataclass(frozen=True)
class Server:
    port: int
    mail: Path


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


@contextmanager
def running_dovecot() -> Iterator[Server]:
    """Dovecot with one user (``USER``/``PASSWORD``), plain IMAP on a free loopback port."""
    # a directory of its own, readable by Dovecot's unprivileged processes (pytest's tmp_path is 0700)
    root = Path(tempfile.mkdtemp(prefix="tf-dovecot-"))
    root.chmod(0o755)
    mail_uid, mail_gid = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    (root / "mail").mkdir()
    os.chown(root / "mail", mail_uid, mail_gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
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


def append(server: Server, *raws: bytes) -> None:
    """Put these messages in the user's INBOX, as delivery to the mailbox would."""
    with IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=5) as client:
        client.login(USER, PASSWORD)
        for raw in raws:
            client.append("INBOX", raw)
