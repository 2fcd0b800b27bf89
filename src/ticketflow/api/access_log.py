"""The HTTP access log without the secrets a URL may carry.

uvicorn logs every request line with its query string. A helpdesk that cannot send a header puts its shared
secret in the URL instead (Freshdesk's automation rule posts to ``/webhooks/freshdesk?token=<secret>``), so
left as it is the access log would hold that secret once per webhook. :class:`RedactQuerySecrets` replaces
the value of every query parameter whose name says it is a credential (``token``, ``secret``, ``key``,
``password``, ``signature``) before the line is written; :func:`log_config` is uvicorn's own logging setup
with that filter on its access handler, which ``ticketflow serve`` passes to ``uvicorn.run``.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

REDACTED = "<redacted>"
CREDENTIAL = re.compile(r"token|secret|key|password|signature", re.IGNORECASE)
"""A query parameter whose name matches this holds a credential."""


def redact_query(target: str) -> str:
    """``target``, a path with its query string, with the values of credential-like parameters replaced."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    parts = []
    for part in query.split("&"):
        name, equals, _value = part.partition("=")
        parts.append(f"{name}={REDACTED}" if equals and CREDENTIAL.search(name) else part)
    return path + mark + "&".join(parts)


class RedactQuerySecrets(logging.Filter):
    """Rewrites a log record's arguments (uvicorn's access line: client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging setup, its access lines passed through :class:`RedactQuerySecrets`."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query_secrets"] = {"()": RedactQuerySecrets}
    access = config["handlers"]["access"]
    access["filters"] = [*access.get("filters", []), "redact_query_secrets"]
    return config
