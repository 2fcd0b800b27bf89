"""The helpdesks (Zendesk, Intercom, Freshdesk) as the API, the runtime and the CLI use them.

Each configured ``[channels.<desk>]`` section becomes its channel, built with its secrets from the
environment (:func:`helpdesks`); each with ``poll_every_s`` above 0 gets a :class:`Poller`, one polling pass
from a stored cursor behind one interface whatever the desk's own cursor looks like (:func:`pollers`); and
:func:`check` and :func:`setup` are what ``ticketflow channels check`` prints: whether the credentials work,
and what the admin enters on the helpdesk's side. The channel modules load only when a desk is configured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from ticketflow.domain.message import InboundMessage
from ticketflow.errors import ChannelUnavailable, ConfigError, DeliveryRefused
from ticketflow.ports.channel import Channel
from ticketflow.settings import ChannelsSettings

HELPDESKS = ("zendesk", "intercom", "freshdesk")
FIRST_LOOKBACK = timedelta(seconds=60)
"""How far back the first Intercom or Freshdesk pass looks (Zendesk's is ``poll_start_lookback_s``)."""
READ_BACK_RETRIES = 1
READ_BACK_WAIT_S = 2.0
READ_BACK_TIMEOUT_S = 3.0
"""A webhook's read-back (an author's email, a ticket's thread) retries once, sleeps at most 2 s for a 429
and waits at most 3 s per request: the helpdesk is waiting for the answer (Zendesk gives up after about
10 s, Intercom deprioritises endpoints slower than 500 ms), and a 503 with ``Retry-After`` asks it to
deliver again later, with polling as the fallback."""


def read_back_patience() -> AbstractContextManager[None]:
    """The budget of the helpdesk calls a webhook request makes while the helpdesk waits (see above)."""
    from ticketflow.channels.rest import patience

    return patience(max_retries=READ_BACK_RETRIES, max_wait_s=READ_BACK_WAIT_S, timeout_s=READ_BACK_TIMEOUT_S)


def configured(settings: ChannelsSettings) -> tuple[str, ...]:
    """The helpdesks whose ``[channels.<desk>]`` section is present, in a fixed order."""
    return tuple(name for name in HELPDESKS if getattr(settings, name) is not None)


def helpdesk(name: str, settings: ChannelsSettings, environ: Mapping[str, str] | None = None) -> Channel:
    """The channel of one configured helpdesk, its secrets read from the environment.

    A missing secret is a ``ConfigError`` naming its variable (Zendesk without a signing secret is built,
    and refuses every webhook until the variable is set; ``check`` says so).
    """
    section = getattr(settings, name, None) if name in HELPDESKS else None
    if section is None:
        raise ConfigError(f"[channels.{name}] is not configured in ticketflow.toml")
    if name == "zendesk":
        from ticketflow.channels.zendesk.channel import ZendeskChannel

        return ZendeskChannel.from_settings(section, environ=environ)
    if name == "intercom":
        from ticketflow.channels.intercom.channel import IntercomChannel

        return IntercomChannel(section, environ=environ)
    from ticketflow.channels.freshdesk.channel import FreshdeskChannel

    return FreshdeskChannel.from_env(section, environ)


def helpdesks(settings: ChannelsSettings) -> dict[str, Channel]:
    """Every configured helpdesk's channel, by name."""
    return {name: helpdesk(name, settings) for name in configured(settings)}


# polling


@dataclass(frozen=True, slots=True)
class PollPass:
    """What one polling pass found, and the cursor (a JSON value) the next pass starts from."""

    messages: tuple[InboundMessage, ...]
    cursor: Any
    ignored: int = 0
    complete: bool = True
    """False when the pass stopped at its page limit: the rest waits for the next pass."""


class Poller(Protocol):
    """One helpdesk's polling fallback: a pass from the stored cursor (None: the first pass ever)."""

    @property
    def desk(self) -> str: ...

    @property
    def every_s(self) -> int:
        """Seconds between passes (above 0)."""
        ...

    def poll(self, stored: Any | None) -> PollPass: ...


@dataclass(frozen=True, slots=True)
class _ZendeskPoller:
    desk: str
    every_s: int
    channel: Any

    def poll(self, stored: Any | None) -> PollPass:
        from ticketflow.channels.zendesk.poll import PollState, poll_once

        state = PollState.from_json(stored) if isinstance(stored, str) else None
        found = poll_once(self.channel, state)
        return PollPass(found.messages, found.state.to_json(), len(found.ignored), found.end_of_stream)


@dataclass(frozen=True, slots=True)
class _IntercomPoller:
    desk: str
    every_s: int
    channel: Any
    clock: Callable[[], datetime]

    def poll(self, stored: Any | None) -> PollPass:
        from ticketflow.channels.intercom.poll import PollCursor

        if isinstance(stored, str):
            cursor = PollCursor.load(stored)
        else:
            cursor = PollCursor(since=int((self.clock() - FIRST_LOOKBACK).timestamp()))
        found = self.channel.poll(cursor)
        return PollPass(found.messages, found.cursor.dump(), complete=found.cursor.starting_after is None)


@dataclass(frozen=True, slots=True)
class _FreshdeskPoller:
    desk: str
    every_s: int
    channel: Any
    clock: Callable[[], datetime]

    def poll(self, stored: Any | None) -> PollPass:
        from ticketflow.channels.freshdesk.poll import PollCursor

        if isinstance(stored, dict):
            cursor = PollCursor.load(stored)
        else:
            cursor = PollCursor((self.clock() - FIRST_LOOKBACK).replace(microsecond=0))
        found = self.channel.poll(cursor)
        return PollPass(found.messages, found.cursor.dump(), complete=found.complete)


def pollers(
    settings: ChannelsSettings,
    channels: Mapping[str, Channel],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Poller]:
    """A poller for each configured helpdesk whose ``poll_every_s`` is above 0."""
    found: dict[str, Poller] = {}
    for name in configured(settings):
        every = int(getattr(settings, name).poll_every_s)
        channel = channels.get(name)
        if every <= 0 or channel is None:
            continue
        if name == "zendesk":
            found[name] = _ZendeskPoller(name, every, channel)
        elif name == "intercom":
            found[name] = _IntercomPoller(name, every, channel, clock)
        else:
            found[name] = _FreshdeskPoller(name, every, channel, clock)
    return found


# ticketflow channels check


class _Checkable(Protocol):
    def check(self) -> str: ...


def check(name: str, settings: ChannelsSettings, channel: Channel) -> str:
    """Who the desk's credentials sign in as (one cheap authenticated GET); raises saying what to fix.

    Raises ``ConfigError`` for what the settings or the environment lack, ``DeliveryRefused`` when the
    helpdesk refuses the credentials, ``ChannelUnavailable`` when it cannot be reached.
    """
    if name == "zendesk":
        section = settings.zendesk
        assert section is not None
        if not section.secrets().webhook_secret:
            raise ConfigError(
                f"no webhook signing secret: set {section.webhook_secret_env} to the webhook's signing "
                "secret (Admin Center > Webhooks > the webhook > Reveal secret); until then every "
                "webhook is refused"
            )
    try:
        return cast(_Checkable, channel).check()
    except DeliveryRefused as exc:
        raise DeliveryRefused(f"{exc}; {_credentials_hint(name, settings)}") from exc
    except ChannelUnavailable as exc:
        raise ChannelUnavailable(
            f"{exc}; check that [channels.{name}] points at the right account and that it can be reached"
        ) from exc


def _credentials_hint(name: str, settings: ChannelsSettings) -> str:
    """Which settings and variables hold the credentials a refusal is about."""
    if name == "zendesk" and settings.zendesk is not None:
        z = settings.zendesk
        if z.auth == "oauth":
            return f"check the OAuth token in {z.oauth_token_env}"
        return f"check [channels.zendesk] email and the API token in {z.api_token_env}"
    if name == "intercom" and settings.intercom is not None:
        i = settings.intercom
        return f"check the access token in {i.access_token_env} and base_url (the workspace's region)"
    if settings.freshdesk is not None:
        return f"check the API key in {settings.freshdesk.api_key_env} and [channels.freshdesk] domain"
    return f"check [channels.{name}]"


@dataclass(frozen=True, slots=True)
class Setup:
    """What an admin enters on the helpdesk's side: where the webhook goes, the steps, what to paste."""

    desk: str
    webhook_url: str
    steps: tuple[str, ...]
    paste: tuple[tuple[str, str], ...] = ()
    """(what it is, the text to paste as it is)."""


def _zendesk_body_step(mode: str) -> str:
    """What ``[channels.zendesk] webhook_body`` means for the trigger body printed below."""
    if mode == "ids":
        return (
            'webhook_body = "ids": the body holds only ids, and ticketflow reads each comment from the API, '
            "so it stays valid JSON whether or not Zendesk JSON-escapes placeholders"
        )
    return (
        'webhook_body = "full": the body carries the comment\'s text; if Zendesk does not JSON-escape '
        'placeholders, a comment with a quote or a line break is refused with 400: webhook_body = "ids" '
        "avoids that"
    )


def webhook_url(public_url: str | None, desk: str) -> str:
    """``{public_url}/webhooks/{desk}``; a placeholder base when the public URL is unknown."""
    base = (public_url or "https://<public URL of this server>").rstrip("/")
    return f"{base}/webhooks/{desk}"


def setup(name: str, settings: ChannelsSettings, public_url: str | None) -> Setup:
    """The helpdesk-side settings for ``name``; they name secrets' variables, never their values."""
    url = webhook_url(public_url, name)
    if name == "zendesk":
        from ticketflow.channels.zendesk.webhook import trigger_template

        z = settings.zendesk
        assert z is not None
        return Setup(
            name,
            url,
            (
                "Admin Center > Apps and integrations > Webhooks > Create webhook: 'Trigger or automation', "
                f"endpoint {url}, method POST, format JSON",
                f"reveal the webhook's signing secret and set {z.webhook_secret_env} to it",
                "Objects and rules > Triggers > Add trigger: conditions 'Comment is Public' and "
                "'Current user is (end user)'; action 'Notify by > Active webhook', this webhook, with the "
                "JSON body below",
                _zendesk_body_step(z.webhook_body),
                "polling, the fallback for missed webhooks (recommended: whether Zendesk redelivers after "
                f"a 503 is unconfirmed): poll_every_s = {z.poll_every_s} (0: off)",
            ),
            ((f'trigger JSON body (webhook_body = "{z.webhook_body}")', trigger_template(z.webhook_body)),),
        )
    if name == "intercom":
        i = settings.intercom
        assert i is not None
        return Setup(
            name,
            url,
            (
                f"Developer Hub > your app > Webhooks: endpoint URL {url}",
                "topics: conversation.user.created, conversation.user.replied",
                f"set {i.webhook_secret_env} to the app's client_secret (Basic information), the key "
                "Intercom signs webhooks with",
                f"polling, the fallback for missed webhooks: poll_every_s = {i.poll_every_s} (0: off)",
            ),
            (("topics", "conversation.user.created\nconversation.user.replied"),),
        )
    from ticketflow.channels.freshdesk.webhook import BODY_TEMPLATE

    f = settings.freshdesk
    assert f is not None
    return Setup(
        name,
        url,
        (
            "Admin > Workflows > Automations > Ticket creation and Ticket updates: a rule for customers' "
            "messages with the action 'Trigger webhook'",
            f"request type POST, URL {url}, encoding JSON",
            f"custom header {f.token_header}: the value of {f.webhook_secret_env}"
            + (
                f" (or, without custom headers, the URL {url}?token=<the value of {f.webhook_secret_env}>)"
                if f.accept_url_token
                else ""
            ),
            "content: the body below, pasted as it is",
            f"polling, the fallback for missed webhooks: poll_every_s = {f.poll_every_s} (0: off)",
        ),
        (
            ("automation rule body", BODY_TEMPLATE),
            ("token header", f"{f.token_header}: <{f.webhook_secret_env}>"),
        ),
    )
