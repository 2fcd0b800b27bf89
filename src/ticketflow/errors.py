"""One error tree for everything ticketflow raises on purpose.

::

    TicketflowError              anything ticketflow raises deliberately
    ├── ConfigError              settings or a workspace file is wrong: fix the file named in the message
    ├── InputError               an inbound payload or an eval record is malformed: fix the sender
    ├── ProviderError            a model provider failed: retry later or hand off
    ├── ChannelError             a channel could not deliver or be read
    └── StorageError             the database is unreachable or behind its migrations

Each carries a message that says what went wrong *and where* (a file and line, a field), so the user can act.
"""

from __future__ import annotations

from pathlib import Path


class TicketflowError(Exception):
    """Base class: every deliberate ticketflow failure."""

    default_message = "ticketflow failed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class ConfigError(TicketflowError):
    """A setting or a workspace file is wrong."""

    default_message = "the configuration is invalid; check ticketflow.toml and TICKETFLOW_* variables"

    @classmethod
    def at(cls, path: Path | str, line: int | None, problem: str) -> ConfigError:
        """An error pointing at ``path:line`` so an editor can jump to it."""
        where = f"{path}:{line}" if line is not None else str(path)
        return cls(f"{where}: {problem}")


class InputError(TicketflowError):
    """An inbound payload or an evaluation record is malformed."""

    default_message = "the input is malformed"


class ProviderError(TicketflowError):
    """A model provider failed to produce a usable result."""

    default_message = "the model provider failed; the ticket is handed to a human"


class ChannelError(TicketflowError):
    """A channel could not deliver a reply or read a message."""

    default_message = "the channel failed to deliver"


class StorageError(TicketflowError):
    """The database is unreachable or its schema is not at the expected migration."""

    default_message = "the database is unavailable; check TICKETFLOW_DATABASE_URL"
