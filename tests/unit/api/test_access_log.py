"""``ticketflow serve``'s access log never holds a secret a webhook URL carries (Freshdesk's ``?token=``)."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import pytest
from uvicorn.config import LOGGING_CONFIG

from ticketflow.api.access_log import log_config, redact_query

ACCESS_LINE = '%s - "%s %s HTTP/%s" %d'
"""The format uvicorn's HTTP protocols log each request with (client, method, path+query, version, status)."""


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """uvicorn's access logger configured as ``serve`` configures it, writing into a buffer."""
    config = log_config()
    written = io.StringIO()
    config["handlers"]["access"]["stream"] = written
    logging.config.dictConfig(config)
    try:
        yield written
    finally:
        logging.config.dictConfig(LOGGING_CONFIG)


def test_a_url_token_is_not_written_to_the_access_log(access_log: io.StringIO) -> None:
    path = "/webhooks/freshdesk?token=fd-shared-token-0123&source=rule"
    logging.getLogger("uvicorn.access").info(ACCESS_LINE, "127.0.0.1:50000", "POST", path, "1.1", 202)
    line = access_log.getvalue()
    assert "fd-shared-token-0123" not in line
    assert '"POST /webhooks/freshdesk?token=<redacted>&source=rule HTTP/1.1" 202' in line


def test_other_requests_are_logged_as_they_came(access_log: io.StringIO) -> None:
    logging.getLogger("uvicorn.access").info(
        ACCESS_LINE, "127.0.0.1:50000", "GET", "/v1/tickets?status=done&page=2", "1.1", 200
    )
    assert '"GET /v1/tickets?status=done&page=2 HTTP/1.1" 200' in access_log.getvalue()


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("/webhooks/freshdesk?token=abc", "/webhooks/freshdesk?token=<redacted>"),
        ("/x?api_key=abc&secret=def&a=1", "/x?api_key=<redacted>&secret=<redacted>&a=1"),
        ("/x?Signature=abc", "/x?Signature=<redacted>"),
        ("/x?token", "/x?token"),
        ("/no/query", "/no/query"),
    ],
)
def test_credential_like_parameters_are_redacted(target: str, shown: str) -> None:
    assert redact_query(target) == shown
