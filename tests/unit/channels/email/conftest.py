"""A builder of raw mails for the email channel's tests: headers in order, a body, CRLF line ends."""

from __future__ import annotations

from collections.abc import Callable

import pytest

Build = Callable[..., bytes]


def build_mail(
    body: str | bytes = "Where is my order NW-100234?",
    *,
    headers: dict[str, str] | None = None,
    charset: str = "utf-8",
    content_type: str = "text/plain",
) -> bytes:
    """A raw message: default From/To/Subject/Message-ID, ``headers`` added or overriding (None removes)."""
    fields: dict[str, str | None] = {
        "From": "Ada Lovelace <Ada@Example.com>",
        "To": "support@northwind.example",
        "Subject": "Re: Delivery",
        "Message-ID": "<m-1@example.com>",
        "Date": "Mon, 03 Mar 2025 10:00:00 +0000",
        "MIME-Version": "1.0",
        "Content-Type": f"{content_type}; charset={charset}",
        "Content-Transfer-Encoding": "8bit",
    }
    fields.update(headers or {})
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value is not None)
    data = body if isinstance(body, bytes) else body.replace("\n", "\r\n").encode(charset)
    return head.encode() + b"\r\n" + data


@pytest.fixture
def build() -> Build:
    return build_mail
