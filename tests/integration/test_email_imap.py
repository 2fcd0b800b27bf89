"""IMAP polling against a real Dovecot on loopback: checkpoint, only new mail, UIDVALIDITY reset, unread kept.

Needs the Debian package ``dovecot-imapd`` (``/usr/sbin/dovecot``); skipped with the reason when absent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dovecot_support import NEEDS_DOVECOT, PASSWORD, USER, Server, append, running_dovecot
from imapclient import IMAPClient  # type: ignore[import-untyped]

from ticketflow.channels.email.imap import Checkpoint, poll
from ticketflow.errors import DeliveryRefused

pytestmark = [pytest.mark.slow, NEEDS_DOVECOT]
ENV = {"TF_IMAP_PASSWORD": PASSWORD}


@pytest.fixture
def dovecot() -> Iterator[Server]:
    with running_dovecot() as server:
        yield server


def _append(server: Server, *numbers: int) -> None:
    append(
        server,
        *(
            (
                f"From: ada@example.com\r\nTo: support@northwind.example\r\nSubject: Order {n}\r\n"
                f"Message-ID: <m-{n}@example.com>\r\n\r\nWhere is order {n}?\r\n"
            ).encode()
            for n in numbers
        ),
    )


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
