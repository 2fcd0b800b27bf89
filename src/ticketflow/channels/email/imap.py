"""IMAP polling: the raw messages that arrived in a mailbox since the last poll, and where to resume.

The checkpoint is ``(UIDVALIDITY, UID)``: UIDs only grow within one UIDVALIDITY, so "everything after UID n"
is exactly what is new. Two traps (``FACTS-channels.md`` §5.4): ``UID n+1:*`` always returns the last
message even when nothing is new (RFC 3501 §6.4.8), so UIDs at or below the checkpoint are dropped; and a
changed UIDVALIDITY voids every stored UID, so the whole folder is fetched again and the Message-ID dedupe
of intake absorbs what was already taken. Messages are read with ``BODY.PEEK[]`` on a read-only selection,
so polling never marks anything read. Scheduling (every N seconds, durably) is the runtime's job.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from ticketflow.errors import ChannelUnavailable, ConfigError, DeliveryRefused

Security = Literal["ssl", "starttls", "plain"]
BATCH = 100
"""Messages per poll at most, so a large backlog is taken in steps (each advancing the checkpoint)."""


@dataclass(frozen=True, slots=True, order=True)
class Checkpoint:
    """How far a folder has been read: its UIDVALIDITY, and the highest UID taken."""

    uidvalidity: int
    uid: int


@dataclass(frozen=True, slots=True)
class Fetched:
    """One message from the folder: its UID and its raw RFC 5322 bytes."""

    uid: int
    raw: bytes


class Polled(NamedTuple):
    """What one poll found, oldest first, and the checkpoint to pass to the next poll."""

    messages: tuple[Fetched, ...]
    checkpoint: Checkpoint
    resynced: bool = False
    """True when the folder's UIDVALIDITY changed, so everything was fetched again."""


def poll(
    host: str,
    port: int | None,
    user: str,
    password_env: str,
    folder: str = "INBOX",
    checkpoint: Checkpoint | None = None,
    *,
    security: Security = "ssl",
    timeout: float = 30.0,
    batch: int = BATCH,
    environ: Mapping[str, str] = os.environ,
    ssl_context: ssl.SSLContext | None = None,
) -> Polled:
    """The messages after ``checkpoint`` in ``folder``: all without one, or after a UIDVALIDITY change.

    The password is read from the environment variable ``password_env``. Raises ``ChannelUnavailable`` when
    the server cannot be reached (retry on the next poll) and ``DeliveryRefused`` when it refuses the login.
    """
    password = environ.get(password_env)
    if not password:
        raise ConfigError(f"[channels.email.imap]: set the environment variable {password_env}")
    where = f"{host}:{port or ('993' if security == 'ssl' else '143')}"
    context = ssl_context or ssl.create_default_context()
    try:
        client = IMAPClient(
            host, port=port, use_uid=True, ssl=security == "ssl", ssl_context=context, timeout=timeout
        )
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ChannelUnavailable(f"the IMAP server {where} is unreachable: {exc}") from exc
    try:
        if security == "starttls":
            client.starttls(context)
        client.login(user, password)
        return _read(client, folder, checkpoint, batch)
    except LoginError as exc:
        raise DeliveryRefused(
            f"the IMAP server {where} refused the login of {user}: check the password"
        ) from exc
    except (TimeoutError, OSError, imaplib.IMAP4.error) as exc:
        raise ChannelUnavailable(
            f"polling {folder} on {where} failed: {exc}; retrying on the next poll"
        ) from exc
    finally:
        _close(client)


def _read(client: IMAPClient, folder: str, checkpoint: Checkpoint | None, batch: int) -> Polled:
    selected = client.select_folder(folder, readonly=True)
    uidvalidity = int(selected[b"UIDVALIDITY"])
    resynced = checkpoint is not None and checkpoint.uidvalidity != uidvalidity
    last = checkpoint.uid if checkpoint is not None and not resynced else 0
    # "last+1:*" always includes the newest message, even when it is old: filter by the checkpoint
    uids = sorted(int(uid) for uid in client.search(["UID", f"{last + 1}:*"]) if int(uid) > last)[:batch]
    if not uids:
        return Polled((), Checkpoint(uidvalidity, last), resynced)
    found = client.fetch(uids, ["BODY.PEEK[]"])
    messages = tuple(
        Fetched(uid, bytes(found[uid][b"BODY[]"])) for uid in uids if b"BODY[]" in found.get(uid, {})
    )
    return Polled(messages, Checkpoint(uidvalidity, uids[-1]), resynced)


def _close(client: IMAPClient) -> None:
    """Log out politely; a connection that is already broken is simply dropped."""
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        with contextlib.suppress(OSError):
            client.shutdown()
