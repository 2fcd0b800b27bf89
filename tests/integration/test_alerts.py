"""Alerts end to end: real tickets in the store cross a rule, a durable pass notifies the fake Slack once,
the rule resolves when cleared and fires again only after its cool-down; notifiers and the store's races."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from dbos import DBOS, SetWorkflowID

from support import STORE, wait_until
from ticketflow.channels.api_webhook import verify_webhook
from ticketflow.channels.email.outbound import SmtpSender, SmtpTarget
from ticketflow.channels.notifiers.mail import EmailNotifier
from ticketflow.channels.notifiers.slack import SlackNotifier
from ticketflow.channels.notifiers.webhook import WebhookNotifier
from ticketflow.domain.alerts import AlertEvent, AlertState
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.errors import ChannelUnavailable, ConfigError, DeliveryRefused
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.storage.repository import SqlStore
from ticketflow.testing.fake_slack import FakeSlack
from ticketflow.testing.mail import MailReceiver
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

ESCALATES = "I want a refund for my order, now."
ANSWERED = "What payment methods do you take?"
TOML = """
[alerts]
every_s = 3600
backoff_s = 0.2
max_attempts = 3

[alerts.slack]

[[alerts.rules]]
name = "escalations"
metric = "escalation_rate"
threshold = 0.4
window = "1h"
cooldown = "10m"
min_samples = 2
severity = "critical"
"""


@dataclass
class Clock:
    """The evaluation's "now", moved by the test past cool-downs."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def alerting(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Runtime]:
    monkeypatch.setenv("TICKETFLOW_ALERTS_SLACK_WEBHOOK_URL", slack.url)
    with _runtime(tmp_path, database_url, system_database_url, store_models, TOML) as runtime:
        yield runtime


@contextmanager
def _runtime(
    tmp_path: Path, database_url: str, system_database_url: str, store_models: TrainedModels, toml: str
) -> Iterator[Runtime]:
    """A started runtime on a copy of the sample workspace whose ticketflow.toml ends with ``toml``."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    for item in STORE.iterdir():
        if item.name != "var":
            (workspace / item.name).symlink_to(item)
    (workspace / "ticketflow.toml").unlink()
    (workspace / "ticketflow.toml").write_text((STORE / "ticketflow.toml").read_text() + toml)
    settings = Settings.load(
        workspace,
        data_dir=tmp_path / "var",
        database_url=database_url,
        system_database_url=system_database_url,
    )
    engine = Engine.from_workspace(settings=settings, models=store_models)
    try:
        with Runtime(engine) as runtime:
            yield runtime
    finally:
        engine.close()


def _tickets(runtime: Runtime, texts: list[str], prefix: str) -> None:
    ids = [
        runtime.submit(InboundMessage("chat", f"{prefix}-{n}", CustomerRef(email="lena@example.com"), text))[
            0
        ]
        for n, text in enumerate(texts)
    ]
    for ticket_id in ids:
        runtime.result(ticket_id)


def _pass(runtime: Runtime) -> None:
    """One evaluation pass, as the schedule runs it, and its notifications finished."""
    assert runtime.alerts is not None
    DBOS.start_workflow(runtime.alerts.run_pass).get_result()
    wait_until(lambda: not runtime.store.alerts.pending(), "the pass's notifications to finish")


@pytest.mark.slow
def test_a_crossed_threshold_pages_slack_once_resolves_and_refires_only_after_the_cool_down(
    alerting: Runtime, slack: FakeSlack
) -> None:
    runtime = alerting
    assert runtime.alerts is not None
    clock = Clock(datetime.now(UTC) + timedelta(seconds=5))
    runtime.alerts.clock = clock

    _tickets(runtime, [ESCALATES, ESCALATES], "a")  # 2 of 2 escalated: above 40%
    _pass(runtime)
    assert slack.texts() == [
        "[FIRING] escalations firing: escalation_rate > 0.4 over 1h (now 1)",
    ]
    assert slack.content_types == ["application/json;charset=utf-8"]
    clock.now += timedelta(minutes=1)
    _pass(runtime)
    assert len(slack.messages) == 1, "a rule still firing is not paged again"

    _tickets(runtime, [ANSWERED] * 4, "b")  # 2 of 6: 33%
    clock.now += timedelta(minutes=1)
    _pass(runtime)
    assert slack.texts()[1] == "[RESOLVED] escalations resolved: escalation_rate > 0.4 over 1h (now 0.3333)"

    _tickets(runtime, [ESCALATES] * 3, "c")  # 5 of 9: above again, within the cool-down
    clock.now += timedelta(minutes=1)
    _pass(runtime)
    assert len(slack.messages) == 2, "no new page within the cool-down"
    row = {r["rule"]: r for r in _snapshot(runtime)}["escalations"]
    assert row["status"] == "cooling" and row["firings"] == 1

    clock.now += timedelta(minutes=10)
    _pass(runtime)
    assert len(slack.messages) == 3 and slack.texts()[2].startswith("[FIRING] escalations firing")
    assert [(e.kind, e.seq, o) for e, o in runtime.store.alerts.events()] == [
        ("fired", 2, "slack: sent"),
        ("resolved", 1, "slack: sent"),
        ("fired", 1, "slack: sent"),
    ]
    scraped = _scrape(runtime)
    assert (
        'ticketflow_alert_firing{metric="escalation_rate",rule="escalations",severity="critical"} 1.0'
        in scraped
    )
    assert 'ticketflow_alert_firings{rule="escalations"} 2.0' in scraped
    _check_api_and_cli(runtime)


def _check_api_and_cli(runtime: Runtime) -> None:
    """The same state through ``GET /v1/alerts`` (metrics scope) and ``ticketflow alerts list --json``."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from ticketflow.api.app import create_app
    from ticketflow.cli import app
    from ticketflow.domain.access import Scope

    keys = runtime.engine.api_keys
    _, metrics = keys.create("scraper", frozenset({Scope.METRICS}))
    _, ingest = keys.create("intake", frozenset({Scope.INGEST}))
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        body = client.get("/v1/alerts", headers={"Authorization": f"Bearer {metrics}"}).json()
        assert client.get("/v1/alerts", headers={"Authorization": f"Bearer {ingest}"}).status_code == 403
        assert client.get("/v1/alerts").status_code == 401
    (rule,) = body["rules"]
    assert (rule["rule"], rule["status"], rule["firings"]) == ("escalations", "firing", 2)
    latest = body["events"][0]
    assert (latest["kind"], latest["seq"], latest["notified"]) == ("fired", 2, "slack: sent")
    settings = runtime.engine.settings
    env = {"TICKETFLOW_DATABASE_URL": settings.resolved_database_url}
    listed = CliRunner().invoke(app, ["alerts", "list", "-w", str(settings.workspace), "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)["rules"][0]["status"] == "firing"


def _snapshot(runtime: Runtime) -> list[dict[str, object]]:
    from ticketflow.runtime.alerts import snapshot

    return snapshot(runtime.alert_rules, runtime.store.alerts.states())


def _scrape(runtime: Runtime) -> str:
    from prometheus_client import generate_latest

    return generate_latest(runtime.metrics.registry).decode()


@pytest.mark.slow
def test_a_transient_slack_failure_is_retried_and_the_event_sent_once(
    alerting: Runtime, slack: FakeSlack
) -> None:
    runtime = alerting
    assert runtime.alerts is not None
    runtime.alerts.clock = Clock(datetime.now(UTC) + timedelta(seconds=5))
    _tickets(runtime, [ESCALATES, ESCALATES], "r")
    slack.fail(500, "internal_error")
    slack.fail(429, "rate_limited")
    _pass(runtime)
    _pass(runtime)  # the next pass finds the event notified: nothing is sent again
    assert slack.requests == 3 and len(slack.messages) == 1
    assert DBOS.retrieve_workflow("alert:escalations:1:fired").get_result() == "slack: sent"
    (event, _), *_ = runtime.store.alerts.events()
    with SetWorkflowID(event.key):  # the event's notification started again: it attaches to the first
        assert DBOS.start_workflow(runtime.alerts.notify, event).get_result() == "slack: sent"
    assert slack.requests == 3, "a notification is never sent twice for one event"


@pytest.mark.slow
def test_the_schedule_evaluates_on_its_own_and_pages_once(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETFLOW_ALERTS_SLACK_WEBHOOK_URL", slack.url)
    toml = TOML.replace("every_s = 3600", "every_s = 1")
    with _runtime(tmp_path, database_url, system_database_url, store_models, toml) as runtime:
        _tickets(runtime, [ESCALATES, ESCALATES], "s")
        wait_until(lambda: slack.messages, "the scheduled pass to page Slack")

        def passes() -> int:
            return len(
                DBOS.list_workflows(name="ticketflow.alerts_pass", status="SUCCESS", load_output=False)
            )

        paged_after = passes()
        wait_until(lambda: passes() >= paged_after + 2, "two more scheduled passes")
    assert len(slack.messages) == 1, "later passes find the rule firing already: no second page"


def _event() -> AlertEvent:
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    return AlertEvent("cost", 3, "fired", "cost_per_ticket", 0.031, 0.02, "warning", at, "cost firing: ...")


def test_slack_refusals_are_sorted_into_retry_or_give_up(slack: FakeSlack) -> None:
    notifier = SlackNotifier(slack.url)
    slack.fail(503, "service_unavailable")
    with pytest.raises(ChannelUnavailable):
        notifier.send(_event())
    with pytest.raises(DeliveryRefused, match="404 'no_service'") as refused:
        SlackNotifier(slack.url + "x").send(_event())
    assert slack.path not in str(refused.value), "the webhook URL is a secret: never in an error"
    notifier.send(_event())
    assert slack.messages[0]["blocks"][0]["text"]["text"].startswith(":warning: *[FIRING]* cost firing")


def test_the_webhook_is_signed_over_the_raw_body() -> None:
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    notifier = WebhookNotifier(
        "https://ops.example.com/hooks",
        "s3cret",
        clock=lambda: 1_800_000_000,
        transport=httpx.MockTransport(receive),
    )
    notifier.send(_event())
    request = seen[0]
    body = request.content
    assert verify_webhook(
        "s3cret",
        request.headers["X-Ticketflow-Timestamp"],
        body,
        request.headers["X-Ticketflow-Signature"],
        now=1_800_000_010,
    )
    assert request.headers["X-Ticketflow-Idempotency-Key"] == "alert:cost:3:fired"
    assert json.loads(body)["type"] == "alert.fired"
    assert not verify_webhook(
        "other",
        request.headers["X-Ticketflow-Timestamp"],
        body,
        request.headers["X-Ticketflow-Signature"],
        now=1_800_000_010,
    )


def test_the_email_notifier_mails_the_on_call_over_smtp() -> None:
    with MailReceiver() as receiver:
        sender = SmtpSender(SmtpTarget.parse(receiver.url))
        EmailNotifier(sender, from_address="alerts@example.com", to=["oncall@example.com"]).send(_event())
        (mail,) = receiver.wait_for(1)
    message = mail.message
    assert mail.rcpt_tos == ("oncall@example.com",)
    assert message["Subject"] == "[FIRING] [warning] cost"
    assert "threshold: 0.02" in message.get_content()


def test_two_evaluators_racing_write_one_move(database_url: str) -> None:
    store = SqlStore.open(database_url)
    try:
        start = AlertState("cost")
        fired = AlertState("cost", firing=True, seq=1, value=0.03)
        assert store.alerts.advance(start, fired, _event())
        assert not store.alerts.advance(start, fired, _event()), "the second evaluator read a stale state"
        assert [e.seq for e in store.alerts.pending()] == [3]
        store.alerts.notified(_event(), "slack: sent")
        assert store.alerts.pending() == [] and store.alerts.states()["cost"].firing
    finally:
        store.close()


def test_a_configured_slack_without_its_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from ticketflow.wiring.alerts import notifiers

    monkeypatch.delenv("TICKETFLOW_ALERTS_SLACK_WEBHOOK_URL", raising=False)
    settings = Settings.load(STORE, alerts={"slack": {}})
    with pytest.raises(ConfigError, match="TICKETFLOW_ALERTS_SLACK_WEBHOOK_URL is not set"):
        notifiers(settings)


def test_a_webhook_url_written_in_the_toml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ticketflow.toml").write_text('[alerts.slack]\nwebhook_url = "https://hooks.slack.com/x"\n')
    with pytest.raises(
        ConfigError, match=r"\[alerts.slack\] webhook_url: secrets are read from the environment"
    ):
        Settings.load(tmp_path)


def test_backlog_age_counts_from_acceptance_not_from_an_old_message_date(database_url: str) -> None:
    store = SqlStore.open(database_url)
    try:
        written = datetime.now(UTC) - timedelta(days=30)  # a backfilled helpdesk ticket, say
        store.accept(
            InboundMessage("api", "old-1", CustomerRef(email="a@example.com"), "hello", received_at=written)
        )
        backlog = store.figures.backlog(datetime.now(UTC))
        assert backlog.depth == 1
        assert backlog.oldest_age_s < 3600, "waiting minutes, not the month since the customer wrote"
    finally:
        store.close()
