"""IMAP polling in the runtime: new mail becomes tickets, the checkpoint lives in the database; and the
scheduled poll of a real mailbox (Dovecot, see ``dovecot_support``) answers each new mail once by SMTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dbos import DBOS
from dovecot_support import NEEDS_DOVECOT, PASSWORD, USER, append, running_dovecot

from ticketflow.channels.email.settings_model import EmailSettings, ImapSettings
from ticketflow.runtime import polling_email
from ticketflow.runtime.service import Runtime
from ticketflow.settings import ChannelsSettings, Settings
from ticketflow.testing.mail import MailReceiver
from ticketflow.wiring.adapters import Polled
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

SUPPORT = "support@store.test"
DEADLINE_S = 60.0


def _raw(n: int) -> bytes:
    return (
        f"From: rosa{n}@example.com\r\nTo: {SUPPORT}\r\nSubject: Question {n}\r\n"
        f"Message-ID: <imap-{n}@example.com>\r\n\r\nHow long does standard delivery take?\r\n"
    ).encode()


class Mailbox:
    """A folder in memory, polled as the IMAP poller does: everything after the checkpoint's UID."""

    def __init__(self) -> None:
        self.uidvalidity = 7
        self.mails: list[bytes] = []
        self.checkpoints: list[dict[str, Any] | None] = []

    def poll(self, stored: dict[str, Any] | None) -> Polled:
        self.checkpoints.append(stored)
        last = stored["uid"] if stored and stored["uidvalidity"] == self.uidvalidity else 0
        new = self.mails[last:]
        return Polled(tuple(new), {"uidvalidity": self.uidvalidity, "uid": len(self.mails)})


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def runtime(
    settings: Settings, store_models: TrainedModels, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    imap = ImapSettings(host="imap.store.test", user=SUPPORT, password_env="TF_TEST_IMAP", every_seconds=3600)
    email = EmailSettings(addresses=[SUPPORT], from_address=SUPPORT, outbound="smtp://127.0.0.1:9", imap=imap)
    monkeypatch.setattr(polling_email, "imap_poller", lambda _settings: mailbox.poll)
    configured = settings.model_copy(update={"channels": ChannelsSettings(email=email)})
    engine = Engine.from_workspace(settings=configured, models=store_models)
    with Runtime(engine) as started:
        yield started
    engine.close()


def test_polled_mail_becomes_tickets_and_the_checkpoint_is_stored(runtime: Runtime, mailbox: Mailbox) -> None:
    poller = runtime._polling
    assert poller is not None
    mailbox.mails = [_raw(1), _raw(2)]
    assert poller.poll_now() == 2
    assert runtime.store.counts()["tickets"] == 2
    name = polling_email.cursor_name(SUPPORT, "imap.store.test", "INBOX")
    assert runtime.store.cursors.get(name) == {"uidvalidity": 7, "uid": 2}

    mailbox.mails.append(_raw(3))
    assert poller.poll_now() == 1
    assert mailbox.checkpoints[-1] == {"uidvalidity": 7, "uid": 2}
    assert runtime.store.counts()["tickets"] == 3

    mailbox.uidvalidity = 8  # the server renumbered the folder: everything comes again, deduped
    assert poller.poll_now() == 3
    assert runtime.store.counts()["tickets"] == 3
    assert runtime.store.cursors.get(name) == {"uidvalidity": 8, "uid": 3}


@NEEDS_DOVECOT
@pytest.mark.slow
def test_the_scheduled_poll_of_a_real_mailbox_answers_new_mail_once(
    settings: Settings, store_models: TrainedModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_TEST_IMAP_PASSWORD", PASSWORD)
    with running_dovecot() as dovecot, MailReceiver() as receiver:
        imap = ImapSettings(
            host="127.0.0.1",
            port=dovecot.port,
            user=USER,
            password_env="TF_TEST_IMAP_PASSWORD",
            security="plain",
            every_seconds=1,
            timeout_seconds=5,
        )
        email = EmailSettings(
            addresses=[SUPPORT], from_address=SUPPORT, outbound=receiver.url, timeout_seconds=5, imap=imap
        )
        configured = settings.model_copy(update={"channels": ChannelsSettings(email=email)})
        engine = Engine.from_workspace(settings=configured, models=store_models)
        vacation = _raw(2).replace(b"\r\n\r\n", b"\r\nAuto-Submitted: auto-replied\r\n\r\n", 1)
        append(dovecot, _raw(1), vacation)
        name = polling_email.cursor_name(USER, "127.0.0.1", "INBOX")
        try:
            with Runtime(engine) as runtime:
                [first] = receiver.wait_for(1, timeout=DEADLINE_S)
                assert first.message["In-Reply-To"] == "<imap-1@example.com>"
                checkpoint = runtime.store.cursors.get(name)
                assert checkpoint is not None and checkpoint["uid"] == 2

                append(dovecot, _raw(3))
                second = receiver.wait_for(2, timeout=DEADLINE_S)[1]
                assert second.message["In-Reply-To"] == "<imap-3@example.com>"
                polls = _polls()
                _wait(lambda: _polls() >= polls + 2, "two more scheduled polls")
                assert len(receiver.messages) == 2, "a mail already taken was answered again"
                assert runtime.store.counts()["tickets"] == 2  # the auto-reply was recorded, not answered
                checkpoint = runtime.store.cursors.get(name)
                assert checkpoint is not None and checkpoint["uid"] == 3
        finally:
            engine.close()


def _polls() -> int:
    return len(DBOS.list_workflows(name="ticketflow.poll_mailbox_now", status="SUCCESS"))


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
