"""Alert rules and notifiers from ``[alerts]``: the one place the notifiers' adapters are chosen.

Secrets come from the environment only: the Slack webhook URL from ``[alerts.slack] webhook_url_env``
(``TICKETFLOW_ALERTS_SLACK_WEBHOOK_URL``), the webhook's signing secret from ``[alerts.webhook] secret_env``
(``TICKETFLOW_ALERTS_WEBHOOK_SECRET``), an SMTP login from ``[alerts.email] username_env``/``password_env``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ticketflow.channels.email.outbound import Credentials, SmtpSender, SmtpTarget
from ticketflow.channels.notifiers.mail import EmailNotifier
from ticketflow.channels.notifiers.slack import SlackNotifier
from ticketflow.channels.notifiers.webhook import WebhookNotifier
from ticketflow.domain.alerts import DEFAULT_RULES, AlertRule, Metric
from ticketflow.errors import ConfigError
from ticketflow.ports.alerts import AlertStore, Notifier
from ticketflow.settings import AlertsSettings, Settings, seconds
from ticketflow.storage.alerts import SqlAlertStore
from ticketflow.storage.db import create_engine, migrate


def rules(alerts: AlertsSettings) -> tuple[AlertRule, ...]:
    """``[[alerts.rules]]`` as domain rules; the defaults when none are listed."""
    if alerts.rules is None:
        return DEFAULT_RULES
    return tuple(
        AlertRule(
            name=r.name,
            metric=Metric(r.metric),
            threshold=r.threshold,
            window_s=seconds(r.window),
            cooldown_s=seconds(r.cooldown),
            severity=r.severity,
            min_samples=r.min_samples,
            check=r.check,
        )
        for r in alerts.rules
    )


def _env(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{what} is configured but {name} is not set: put the secret in that variable")
    return value


def notifiers(settings: Settings) -> tuple[Notifier, ...]:
    """The notifiers ``[alerts.slack]``, ``[alerts.email]`` and ``[alerts.webhook]`` name, in that order."""
    alerts = settings.alerts
    chosen: list[Notifier] = []
    if alerts.slack is not None:
        url = _env(alerts.slack.webhook_url_env, "[alerts.slack]")
        chosen.append(SlackNotifier(url, timeout_s=alerts.slack.timeout_s))
    if alerts.email is not None:
        chosen.append(_email(settings))
    if alerts.webhook is not None:
        secret = _env(alerts.webhook.secret_env, "[alerts.webhook]")
        chosen.append(WebhookNotifier(alerts.webhook.url, secret, timeout_s=alerts.webhook.timeout_s))
    return tuple(chosen)


def _email(settings: Settings) -> EmailNotifier:
    mail = settings.alerts.email
    assert mail is not None
    channel = settings.channels.email
    outbound = mail.outbound or (channel.outbound if channel is not None else None)
    sender = mail.from_address or (channel.from_address if channel is not None else None)
    if outbound is None or sender is None:
        raise ConfigError(
            "[alerts.email] needs outbound and from_address (or [channels.email] outbound and from_address)"
        )
    username_env = mail.username_env or (channel.username_env if channel is not None else None)
    password_env = mail.password_env or (channel.password_env if channel is not None else None)
    credentials = None
    if username_env and password_env:
        credentials = Credentials(
            _env(username_env, "[alerts.email] username_env"),
            _env(password_env, "[alerts.email] password_env"),
        )
    target = SmtpTarget.parse(outbound, timeout=mail.timeout_s)
    return EmailNotifier(SmtpSender(target, credentials), from_address=sender, to=mail.to)


@contextmanager
def alert_store(settings: Settings) -> Iterator[AlertStore]:
    """The workspace database's alert states (migrating the schema first), closed on exit: for
    ``ticketflow alerts list``, which needs no engine."""
    engine = create_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        yield SqlAlertStore(engine)
    finally:
        engine.dispose()
