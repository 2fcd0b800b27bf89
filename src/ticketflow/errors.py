"""One error tree for everything ticketflow raises on purpose.

::

    TicketflowError              anything ticketflow raises deliberately
    ├── ConfigError              settings or a workspace file is wrong: fix the file named in the message
    ├── InputError               an inbound payload or an eval record is malformed: fix the sender (HTTP 422)
    │   └── UnreadableInput      the payload is not even JSON (or not UTF-8): fix its encoding (HTTP 400)
    ├── ProviderError            a model provider failed: retry later or hand off
    │   ├── ModelNotFound        the model is retired or unknown (also a ConfigError): fix the setting named
    │   ├── ProviderAuthError    the provider refused the key (also a ConfigError): check the variable named
    │   └── ProviderUnavailable  down or overloaded after the retries: tickets go to humans, try again later
    ├── ChannelError             a channel could not deliver or be read
    │   ├── SignatureError       an inbound request's signature is bad or missing: check the secret (HTTP 401)
    │   ├── ChannelUnavailable   transient (down, timed out, rate-limited): retry with backoff
    │   ├── DeliveryRefused      permanent (the channel said no): put the ticket in review
    │   └── Unsupported          the channel cannot do that operation: check its ``capabilities`` first
    └── StorageError             the database is unreachable or behind its migrations

Each carries a message that says what went wrong *and where* (a file and line, a field), so the user can act.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    """An inbound payload or an evaluation record is malformed.

    ``errors`` locates each problem for the sender: ``{"where": "body.customer.email", "problem": "...",
    "type": "..."}`` (``type`` is optional, a machine-readable kind such as pydantic's ``missing``).
    """

    default_message = "the input is malformed"

    def __init__(self, message: str | None = None, errors: Sequence[dict[str, str]] = ()) -> None:
        super().__init__(message)
        self.errors = [dict(e) for e in errors]


class UnreadableInput(InputError):
    """The payload cannot be read at all (not JSON, not UTF-8), so no field can be named."""

    default_message = "the body is not valid JSON"


class ProviderError(TicketflowError):
    """A model provider failed to produce a usable result."""

    default_message = "the model provider failed; the ticket is handed to a human"


class ModelNotFound(ProviderError, ConfigError):
    """The configured model id is retired or unknown; the message names the setting to change."""

    default_message = (
        "the model was not found: set models.generation (or models.validation) to a current model"
    )


class ProviderAuthError(ProviderError, ConfigError):
    """The provider refused the credentials; the message names the variable that holds them."""

    default_message = "the model provider refused the key: check ANTHROPIC_API_KEY"


class ProviderUnavailable(ProviderError):
    """The provider is down, overloaded or refused the call after its retries; it may work later."""

    default_message = "the model provider is unavailable; the ticket goes to a human, try again later"


class ChannelError(TicketflowError):
    """A channel could not deliver a reply or read a message."""

    default_message = "the channel failed to deliver"


class SignatureError(ChannelError):
    """An inbound request is not signed by the channel: refuse it before reading its body (HTTP 401)."""

    default_message = (
        "the request's signature is missing or does not match; check the channel's signing secret "
        "and the sender's clock"
    )


class ChannelUnavailable(ChannelError):
    """The channel is down, timed out or rate-limited: the same call may succeed later.

    ``retry_after`` is the wait in seconds the channel asked for (``Retry-After``), when it said.
    """

    default_message = "the channel is unavailable; retry with backoff"

    def __init__(self, message: str | None = None, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeliveryRefused(ChannelError):
    """The channel refused the call for good (bad credentials, unknown thread, too many comments)."""

    default_message = "the channel refused the message; the ticket goes to review"


class Unsupported(ChannelError):
    """The channel has no such operation (``capabilities`` says which it has)."""

    default_message = "the channel does not support this operation; check its capabilities first"

    @classmethod
    def operation(cls, channel: str, operation: str) -> Unsupported:
        """An error naming the channel and the operation it lacks."""
        return cls(f"the {channel} channel cannot {operation}; check its capabilities before calling")


class StorageError(TicketflowError):
    """The database is unreachable or its schema is not at the expected migration."""

    default_message = "the database is unavailable; check TICKETFLOW_DATABASE_URL"
