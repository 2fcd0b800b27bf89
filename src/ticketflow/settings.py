"""One validated settings object, built once (in ``wiring``) and passed in; never a module global.

Precedence, highest first: explicit overrides, ``TICKETFLOW_*`` environment variables (nested with ``__``,
e.g. ``TICKETFLOW_ROUTING__UNSURE_THRESHOLD``), the workspace's ``ticketflow.toml``, then the defaults below.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ticketflow.channels.email.settings_model import EmailSettings
from ticketflow.channels.freshdesk.settings_model import FreshdeskSettings
from ticketflow.channels.intercom.settings_model import IntercomSettings
from ticketflow.channels.zendesk.settings_model import ZendeskSettings
from ticketflow.errors import ConfigError

_toml_data: ContextVar[dict[str, Any] | None] = ContextVar("_toml_data", default=None)


class _Section(BaseModel):
    """A ``[section]`` of ticketflow.toml; unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class RoutingSettings(_Section):
    """``[routing]``: when a ticket is too unsure or too upset to automate; the intent model's features."""

    unsure_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="below this intent confidence: human review; default: chosen by training",
    )
    tone_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="overrides rules.yaml tone.threshold"
    )
    risk_mass: float | None = Field(
        0.25,
        gt=0.0,
        le=1.0,
        description="escalate when the intents that escalate hold together at least this probability, "
        "even with another intent on top (0.25 = 1/(1+3): a missed escalation costs three needless "
        "handoffs); none to escalate on the top intent only",
    )
    draft_unsure_below: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="an unsure ticket whose escalating intents hold less than this is drafted from the "
        "knowledge base (and validated) instead of handed off; default: off, every unsure ticket to a person",
    )
    max_message_tokens: int = Field(
        2000,
        ge=50,
        le=100_000,
        description="a longer message (about 4 characters a token) goes to a person as too_long, with no "
        "model call; 25000 lets through all a channel accepts (100,000 characters)",
    )
    backend: Literal["tfidf", "embeddings"] = Field(
        "tfidf",
        description="intent features: TF-IDF n-grams, or n-grams + sentence embeddings (embeddings extra)",
    )


class ContextSettings(_Section):
    """``[context]``: what the prompt's variable part holds, and its token budget."""

    token_budget: int = Field(700, ge=100, description="tokens for the variable part of the prompt")
    passages: int = Field(3, ge=1, le=10)
    history_turns: int = Field(8, ge=0, le=50)
    summarise_older: bool = Field(
        False, description="add an extractive summary of turns older than history_turns (up to 40 back)"
    )
    min_retrieval_score: float = Field(
        0.5, ge=0.0, description="BM25 score below which the offline drafter hands off"
    )
    rankers: tuple[Literal["questions", "articles", "embeddings"], ...] = Field(
        ("questions",),
        description="second opinions fused with BM25 by reciprocal rank: nearest customer phrasings "
        "(questions), whole articles by words, phrases and meaning (articles), sentence embeddings of "
        "chunks and phrasings (embeddings; the embeddings extra); [] for BM25 alone",
    )
    unrouted_rankers: tuple[Literal["questions", "articles", "embeddings"], ...] = Field(
        ("articles",),
        description="fused as well when routing names no intent (a workspace without labelled tickets, "
        "or none sure enough to name): the same choices as rankers",
    )
    article_embeddings: Literal["auto", "on", "off"] = Field(
        "auto",
        description="the articles ranker's meaning half (pip install 'ticketflow[embeddings]'): on requires "
        "it, auto uses it when installed, off ranks articles by words and phrases only",
    )
    previous_tickets: int = Field(2, ge=0, le=5, description="the customer's most relevant earlier tickets")


class CustomerSettings(_Section):
    """Where accounts come from: workspace files (default), a SQL database, or an HTTP JSON endpoint."""

    source: Literal["files", "sql", "http"] = "files"
    url: str | None = Field(None, description="sql: a SQLAlchemy URL; http: a template with {id} / {email}")
    table: str = "customers"
    orders_table: str | None = "orders"
    columns: dict[str, str] = Field(default_factory=dict, description="our field -> their column or key")
    order_columns: dict[str, str] = Field(default_factory=dict)
    facts: list[str] = Field(default_factory=list, description="extra columns shown as account facts")
    currency: str = Field(
        "",
        pattern=r"^([A-Za-z]{3})?$",
        description="ISO 4217 code shown with order totals whose source names none (a `currency` column "
        "or a `total_<code>` column does)",
    )
    auth_header: str = "Authorization"
    auth_env: str | None = Field(None, description="environment variable holding the auth header's value")
    timeout_s: float = Field(2.0, gt=0.0)
    ttl_s: float = Field(3600.0, ge=0.0, description="how long stable facts (name, plan) are cached")
    volatile: list[str] = Field(
        default_factory=lambda: ["status", "balance_eur", "orders"], description="fetched live every time"
    )
    on_stale: Literal["use", "handoff"] = Field(
        "use", description="when a live fetch fails: use the last value, marked stale, or hand off"
    )
    live_intents: list[str] = Field(
        default_factory=list, description="with on_stale=handoff: intents that need live facts (empty: all)"
    )


VerdictPolicy = Literal["block", "warn", "review"]


class ValidationSettings(_Section):
    """``[validation]``: the length limit, regeneration, and what each check's failure does."""

    max_words: int = Field(200, ge=20)
    regenerate: bool = Field(True, description="one regeneration with the failures as feedback")
    upset_tone: float = Field(0.25, ge=0.0, le=1.0, description="tone score that requires an acknowledgement")
    policy: dict[str, VerdictPolicy] = Field(
        default_factory=lambda: {  # type: ignore[arg-type]  # literals, inferred as str
            "policy": "block",
            "grounding": "block",
            "tone": "block",
            "escalation": "review",
            "length": "block",
            "pii": "block",
            "injection": "review",
        },
        description="per check, what a failure does: block (regenerate once, then hand off), warn (send, "
        "noted), review (hand to a person without regenerating); checks not listed block",
    )


class PrivacySettings(_Section):
    """``[privacy]``: how personal data is found before text leaves for a model."""

    ner: Literal["auto", "on", "off"] = Field(
        "auto",
        description="named-entity model for names (pip install 'ticketflow[ner]'): on requires it, auto uses "
        "it when installed, off uses cue rules and the customer's known values only",
    )


class ScopeSettings(_Section):
    """``[scope]``: what out-of-scope requests and chatter get instead of a retrieved passage.

    ``intents`` maps an intent of the workspace's taxonomy to a response named in ``responses``, or to
    ``"handoff"`` (a person, reason = the intent). Such a ticket gets no model call and no retrieval.
    """

    intents: dict[str, str] = Field(
        default_factory=lambda: {"out_of_scope": "decline", "thanks": "thanks"},
        description="intent -> response name (in responses) or 'handoff'; add venting = 'handoff' to hand "
        "off a canned answer's negative message that asks nothing (off by default: it also catches "
        "problem reports such as 'never got the code')",
    )
    responses: dict[str, str] = Field(
        default_factory=lambda: {
            # any company's words: a retailer names its orders and deliveries in its own file
            "decline": "Thanks for getting in touch. This is outside what the {name} support team can help "
            "with, so we can't help with this request.",
            "thanks": "You're welcome! If there's anything else we can help with, just reply.",
        },
        description="response name -> text; {name} becomes the workspace's name",
    )
    density: bool = Field(
        True, description="treat a message far from every example of the workspace as out_of_scope"
    )
    density_quantile: float = Field(
        0.02, gt=0.0, lt=0.5, description="share of the workspace's own examples the density cut calls far"
    )
    detector: Literal["auto", "lexical", "familiarity"] = Field(
        "auto",
        description="lexical: far from every example by TF-IDF cosine -> out_of_scope; familiarity: "
        "unfamiliar to the intent model (max margin + relative Mahalanobis on sentence embeddings, "
        "routing.backend = 'embeddings') -> a person as unsure; auto: both when the intent model has "
        "a familiarity detector, else lexical",
    )


class LanguageSettings(_Section):
    """``[languages]``: which languages the workspace serves and which ones detection tells apart."""

    served: list[str] = Field(
        default_factory=lambda: ["en"],
        description="ISO 639-1 codes the workspace's knowledge and canned answers are written in",
    )
    candidates: list[str] = Field(
        default_factory=lambda: ["en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da"],
        description="languages detection chooses among (with served); fewer is faster and more accurate",
    )
    detect: bool = Field(True, description="detect every message's language (lingua)")
    accuracy: Literal["low", "high"] = Field(
        "low",
        description="low: trigram models screen, the full models confirm a foreign language; high: full "
        "models for every message (slow to load, more memory)",
    )


class ModelSettings(_Section):
    """``[models]``: the Claude model per role (ids are configuration; a retired one fails naming this)."""

    generation: str = "claude-sonnet-5-5"
    validation: str = "claude-haiku-5-5"


class BatchSettings(_Section):
    """Off-peak batching (``[anthropic.batch]``): tickets that may wait go through the Message Batches API
    (50% off) instead of an inline call. A ticket waits when its channel is listed and it arrives outside
    business hours: these settings' own when any of ``business_days``, ``business_hours``, ``timezone`` is
    set (the others default to Monday-Friday, 9-17, UTC); else the workspace's rules.yaml
    ``business_hours:``; else Monday to Friday, 9:00 to 17:00 UTC."""

    enabled: bool = False
    channels: list[str] = Field(default_factory=lambda: ["email"], description="channels that may wait")
    business_days: list[int] | None = Field(
        None, description="weekdays with business hours (0 = Monday); default: rules.yaml, else Mon-Fri"
    )
    business_hours: tuple[int, int] | None = Field(
        None, description="[start, end) hours of the business day; default: rules.yaml, else 9-17"
    )
    timezone: str | None = Field(None, description="IANA zone of the hours; default: rules.yaml, else UTC")
    schedule: str = Field(
        "0 */10 * * * *",
        description="cron (seconds first) of the run that submits waiting tickets as a batch",
    )
    poll_interval_s: float = Field(60.0, gt=0.0, description="between two status checks of a batch")
    max_requests: int = Field(
        1000, ge=1, le=100_000, description="requests per batch (each waiting ticket holds a worker thread)"
    )
    max_wait_s: float = Field(
        26 * 3600.0, gt=0.0, description="a ticket waiting longer for its batch result is handed off"
    )


class AnthropicSettings(_Section):
    """The Claude provider: limits, budget and caching (model ids are under ``[models]``)."""

    timeout_s: float = Field(30.0, gt=0.0, description="per-call timeout, seconds")
    max_retries: int = Field(2, ge=0, le=10, description="SDK retries of 429/5xx, honouring retry-after")
    requests_per_minute: int | None = Field(
        None, ge=1, description="rate limit of the ticket queue (about one model call per ticket)"
    )
    daily_budget_usd: float | None = Field(
        None, ge=0.0, description="once today's ledger spend reaches it, new tickets go to humans (budget)"
    )
    cache_ttl: Literal["5m", "1h"] = Field("5m", description="lifetime of the cached static prefix")
    batch: BatchSettings = BatchSettings()


class OpenAICompatibleSettings(_Section):
    """A local OpenAI-compatible server (Ollama, vLLM, llama.cpp): ``provider = "openai-compatible"``."""

    base_url: str = Field("http://localhost:11434/v1", description="the API root, ending before /chat")
    model: str = Field("llama3.1:8b", description="the model name the server knows")
    api_key: str | None = Field(None, description="sent as a Bearer token when set")
    timeout_s: float = Field(30.0, gt=0.0, description="per-call timeout, seconds")
    input_usd_per_million: float = Field(0.0, ge=0.0, description="price to ledger; 0: free")
    output_usd_per_million: float = Field(0.0, ge=0.0, description="price to ledger; 0: free")


class JudgeSettings(_Section):
    """The model judge for tone and coherence (``models.validation``), asked only when checks warn."""

    enabled: bool = Field(False, description="ask the judge when a deterministic check is inconclusive")
    max_output_tokens: int = Field(200, ge=50, le=2000)


class RuntimeSettings(_Section):
    """The durable runtime: how many tickets a process works on at once, and how often it polls."""

    worker_concurrency: int = Field(8, ge=1)
    polling_interval_sec: float = Field(0.2, gt=0.0)
    executor_id: str | None = None


class ApiSettings(_Section):
    """The HTTP API (``[api]``): who may call it from where, and how much it accepts before it pushes back."""

    metrics_public: bool = Field(
        False, description="serve /metrics without a key (for a scraper on a private network)"
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="browser origins allowed to call the API; none by default"
    )
    max_body_bytes: int = Field(256 * 1024, ge=1024, description="larger request bodies get 413")
    max_backlog: int = Field(
        10_000, ge=1, description="unfinished tickets beyond which new messages get 429 with Retry-After"
    )
    rate_limit_per_minute: int | None = Field(
        600, ge=1, description="requests per minute per API key before 429 with Retry-After; unset: no limit"
    )
    public_url: str | None = Field(
        None,
        description="where helpdesks reach this server, e.g. https://tickets.example.com (webhook URLs)",
    )


class ConsoleSettings(_Section):
    """``[console]``: people's sessions in the browser console and how sign-ins are throttled."""

    idle_minutes: float = Field(30.0, gt=0.0, description="a session unused this long expires")
    session_hours: float = Field(
        12.0, gt=0.0, description="a session ends this long after sign-in, used or not"
    )
    login_attempts_per_account: int = Field(
        5, ge=1, description="sign-in attempts per username in a burst, then one per login_refill_s"
    )
    login_attempts_per_address: int = Field(
        20, ge=1, description="sign-in attempts per client address in a burst, then one per login_refill_s"
    )
    login_refill_s: float = Field(
        60.0, gt=0.0, description="how often a throttled sign-in attempt comes back"
    )


class DeliverySettings(_Section):
    """``[delivery]``: how the durable sender sends, retries, and what it tells a customer on a handoff."""

    holding: bool = Field(
        True, description="on a handoff, tell the customer (email, API) that a person will answer"
    )
    holding_message: str = Field(
        "Thank you for your message. A member of our team will get back to you {hours}.",
        description="the holding message; {hours} becomes the expected response time from business hours",
    )
    max_attempts: int = Field(8, ge=1, le=50, description="sends of one message before it fails for good")
    backoff_s: float = Field(2.0, gt=0.0, description="wait after the first transient failure, doubling")
    max_backoff_s: float = Field(600.0, gt=0.0, description="longest wait between two attempts")


_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_SPAN = r"^\d+(\.\d+)?\s*[smhd]?$"


def seconds(value: str | float) -> float:
    """``"15m"``, ``"1h"``, ``"2d"``, ``"90s"`` or a number of seconds, as seconds."""
    if isinstance(value, int | float):
        return float(value)
    text = value.strip().lower()
    factor = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:])
    return float(text[:-1]) * factor if factor else float(text)


class AlertRuleSettings(_Section):
    """One ``[[alerts.rules]]``: the metric, above what, over which sliding window, paged how often."""

    name: str = Field(..., min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    metric: Literal[
        "cost_per_ticket",
        "escalation_rate",
        "budget_spent",
        "check_failure_rate",
        "model_error_rate",
        "model_latency_p95_ms",
        "backlog_depth",
        "backlog_age_s",
    ]
    threshold: float = Field(..., description="the rule breaches when the metric is above it")
    window: str | float = Field("1h", description="sliding window: 90s, 15m, 1h, 1d or seconds")
    cooldown: str | float = Field("30m", description="after a resolution, no new firing before this")
    severity: Literal["info", "warning", "critical"] = "warning"
    min_samples: int = Field(1, ge=1, description="fewer data points in the window: not measured")
    check: str | None = Field(None, description="check_failure_rate: count this check only")

    @field_validator("window", "cooldown")
    @classmethod
    def _span(cls, value: str | float) -> str | float:
        if isinstance(value, str) and not re.match(_SPAN, value.strip().lower()):
            raise ValueError(f"{value!r} is not a duration: write 90s, 15m, 1h, 1d or a number of seconds")
        if seconds(value) < 0:
            raise ValueError("a duration cannot be negative")
        return value


class SlackAlertSettings(_Section):
    """``[alerts.slack]``: a Slack incoming webhook. Its URL is a secret: only ever in the environment."""

    webhook_url_env: str = Field(
        "TICKETFLOW_ALERTS_SLACK_WEBHOOK_URL", pattern=_ENV_NAME, description="the variable holding the URL"
    )
    timeout_s: float = Field(10.0, gt=0.0)


class EmailAlertSettings(_Section):
    """``[alerts.email]``: mail to the on-call addresses over SMTP (default: ``[channels.email]``'s)."""

    to: list[str] = Field(..., min_length=1, description="recipients")
    from_address: str | None = Field(None, description="default: [channels.email] from_address")
    outbound: str | None = Field(None, description="smtp://host:port (default: [channels.email] outbound)")
    username_env: str | None = Field(None, pattern=_ENV_NAME)
    password_env: str | None = Field(None, pattern=_ENV_NAME)
    timeout_s: float = Field(30.0, gt=0.0)


class WebhookAlertSettings(_Section):
    """``[alerts.webhook]``: a JSON POST signed with HMAC-SHA256 (the secret from the environment)."""

    url: str = Field(..., pattern=r"^https?://", description="where events are POSTed")
    secret_env: str = Field(
        "TICKETFLOW_ALERTS_WEBHOOK_SECRET", pattern=_ENV_NAME, description="the variable holding the secret"
    )
    timeout_s: float = Field(10.0, gt=0.0)


class AlertsSettings(_Section):
    """``[alerts]``: rules evaluated by a scheduled durable workflow, and who is told when one moves."""

    enabled: bool = Field(True, description="evaluate the rules in serve and worker")
    every_s: int = Field(60, ge=1, le=86400, description="seconds between two evaluations")
    rules: list[AlertRuleSettings] | None = Field(
        None, description="the rules; unset: the defaults (docs/alerts.md); [] for none"
    )
    max_attempts: int = Field(6, ge=1, le=20, description="sends of one notification before giving up")
    backoff_s: float = Field(2.0, gt=0.0, description="wait after a failed send, doubling")
    slack: SlackAlertSettings | None = None
    email: EmailAlertSettings | None = None
    webhook: WebhookAlertSettings | None = None

    @field_validator("rules")
    @classmethod
    def _unique(cls, value: list[AlertRuleSettings] | None) -> list[AlertRuleSettings] | None:
        names = [rule.name for rule in value or ()]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"rule names must be unique: {', '.join(twice)}")
        return value


class TelemetrySettings(_Section):
    """``[telemetry]``: OpenTelemetry traces over OTLP/HTTP, off unless an endpoint is set (here or in
    ``OTEL_EXPORTER_OTLP_ENDPOINT``)."""

    otlp_endpoint: str | None = Field(
        None, pattern=r"^https?://", description="e.g. http://127.0.0.1:4318 (traces go to /v1/traces)"
    )
    service_name: str = "ticketflow"


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(text: str) -> float:
    """``"4h"``, ``"90m"``, ``"1h30m"``, ``"45s"`` to seconds; ``ValueError`` naming the form otherwise."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write it like '4h', '90m' or '1h30m'")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return total


class ReviewSettings(_Section):
    """``[reviews]``: the review queue agents work (leases, which checks block a person's reply, due times).

    Due times count business hours (``business_hours:`` in rules.yaml; around the clock when absent): a
    review is due ``targets[reason]`` after it was queued, else the target of the reason's prefix before
    ``:`` (``validation`` for ``validation:pii``), else ``default_target``.
    """

    lease_s: float = Field(900.0, ge=10.0, le=86_400.0, description="how long a claim holds, in seconds")
    blocking_checks: list[str] = Field(
        default_factory=lambda: ["pii"],
        description="checks whose failure refuses a person's reply (422); the others only warn",
    )
    default_target: str = Field("8h", description="business time to answer a review whose reason has none")
    targets: dict[str, str] = Field(
        default_factory=dict, description='per handoff reason, e.g. refund = "4h"'
    )

    @field_validator("default_target")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("targets")
    @classmethod
    def _durations(cls, value: dict[str, str]) -> dict[str, str]:
        for reason, text in value.items():
            try:
                parse_duration(text)
            except ValueError as exc:
                raise ValueError(f"targets.{reason}: {exc}") from None
        return value

    def target_s(self, reason: str) -> float:
        """Seconds of business time to answer a review handed off for ``reason``."""
        prefix = reason.split(":", 1)[0].strip()
        text = self.targets.get(reason) or self.targets.get(prefix) or self.default_target
        return parse_duration(text)


class FeedbackSettings(_Section):
    """``[feedback]``: the signed rating link in replies, and the window that verifies a resolution.

    The link is off until ``link_base_url`` is set and the secret's variable (``secret_env``) holds a value;
    the secret itself is never written in ticketflow.toml.
    """

    window_hours: float = Field(
        72.0, gt=0.0, description="a customer message within this many hours of an answer reopens it"
    )
    link_base_url: str | None = Field(
        None, description="where customers reach this server, e.g. https://support.example.com; unset: off"
    )
    secret_env: str = Field(
        "TICKETFLOW_FEEDBACK_SECRET", description="environment variable holding the links' signing secret"
    )
    link_ttl_days: float = Field(30.0, gt=0.0, le=366.0, description="how long a rating link stays valid")
    link_text: str = Field(
        "Did this answer your question? Tell us: {link}",
        description="appended to each automated reply; {link} becomes the signed link",
    )
    rate_limit_per_minute: int = Field(
        30, ge=1, description="feedback requests per minute per client address before 429"
    )


class ChannelsSettings(_Section):
    """``[channels.*]``: the channels beyond the HTTP API, each off until its section is present.

    Secrets are never written here: each channel names the environment variables that hold them
    (``TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN`` and the like), and reads them only from the environment.
    """

    email: EmailSettings | None = None
    zendesk: ZendeskSettings | None = None
    intercom: IntercomSettings | None = None
    freshdesk: FreshdeskSettings | None = None


_PERIOD = re.compile(r"^\s*(\d+)\s*([hdwy])\s*$")
_PERIOD_HOURS = {"h": 1, "d": 24, "w": 24 * 7, "y": 24 * 365}


def parse_period(value: str) -> timedelta:
    """A retention period: a whole number and a unit, ``h`` hours, ``d`` days, ``w`` weeks, ``y`` years of
    365 days (``"0d"``, ``"365d"``, ``"7y"``)."""
    found = _PERIOD.match(value)
    if found is None:
        raise ValueError(f"{value!r} is not a period such as '0d', '12h', '365d' or '7y'")
    return timedelta(hours=int(found.group(1)) * _PERIOD_HOURS[found.group(2)])


class RetentionSettings(_Section):
    """How long each kind of data is kept (``[retention]``, ``docs/audit.md``): periods like ``"30d"``."""

    checkpoints: str = Field(
        "0d", description="the durable runtime's checkpoints of a ticket, after its delivery is final"
    )
    messages: str = Field("365d", description="customers' messages and the replies, after the ticket's end")
    ledger: str = Field("7y", description="the ledger and audit trail: kept at least this long, never pruned")
    sweep_schedule: str = Field("*/10 * * * *", description="cron of the scheduled retention sweep")

    def period(self, kind: Literal["checkpoints", "messages", "ledger"]) -> timedelta:
        """The period configured for ``kind``."""
        return parse_period(getattr(self, kind))

    @field_validator("checkpoints", "messages", "ledger")
    @classmethod
    def _is_a_period(cls, value: str) -> str:
        parse_period(value)
        return value


class Settings(BaseSettings):
    """Everything configurable. Build with :meth:`Settings.load`, which reads the workspace's toml."""

    model_config = SettingsConfigDict(env_prefix="TICKETFLOW_", env_nested_delimiter="__", extra="forbid")

    workspace: Path = Path("examples/store")
    name: str = "ticketflow"
    data_dir: Path | None = Field(None, description="models and default databases; default WORKSPACE/var")
    database_url: str | None = Field(None, description="default: sqlite file under the workspace's var/")
    system_database_url: str | None = Field(
        None, description="DBOS system database; default: beside the app db"
    )
    provider: Literal["offline", "anthropic", "openai-compatible"] = Field(
        "offline", description="left at the default, ANTHROPIC_API_KEY in the environment selects anthropic"
    )
    offline_latency_ms: float = Field(
        0.0, ge=0.0, description="simulated model latency of the offline drafter"
    )
    models: ModelSettings = ModelSettings()
    routing: RoutingSettings = RoutingSettings()
    context: ContextSettings = ContextSettings()
    customers: CustomerSettings = CustomerSettings()
    validation: ValidationSettings = ValidationSettings()
    runtime: RuntimeSettings = RuntimeSettings()
    api: ApiSettings = ApiSettings()
    channels: ChannelsSettings = ChannelsSettings()
    delivery: DeliverySettings = DeliverySettings()
    feedback: FeedbackSettings = FeedbackSettings()
    anthropic: AnthropicSettings = AnthropicSettings()
    openai_compatible: OpenAICompatibleSettings = OpenAICompatibleSettings()
    judge: JudgeSettings = JudgeSettings()
    alerts: AlertsSettings = AlertsSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    console: ConsoleSettings = ConsoleSettings()
    reviews: ReviewSettings = ReviewSettings()
    retention: RetentionSettings = RetentionSettings()
    privacy: PrivacySettings = PrivacySettings()
    scope: ScopeSettings = ScopeSettings()
    languages: LanguageSettings = LanguageSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def resolved_provider(self) -> str:
        """``provider``, except that an unset provider with ``ANTHROPIC_API_KEY`` present means anthropic."""
        if "provider" not in self.model_fields_set and os.environ.get("ANTHROPIC_API_KEY"):
            return "anthropic"
        return self.provider

    @property
    def var_dir(self) -> Path:
        return self.data_dir or self.workspace / "var"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'ticketflow.sqlite').resolve()}"

    @property
    def resolved_system_database_url(self) -> str:
        if self.system_database_url:
            return self.system_database_url
        if self.database_url and not self.database_url.startswith("sqlite"):
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'dbos.sqlite').resolve()}"

    @classmethod
    def load(cls, workspace: Path | str | None = None, **overrides: Any) -> Settings:
        """Settings for ``workspace``: its ``ticketflow.toml`` under the environment and ``overrides``."""
        ws = Path(workspace) if workspace is not None else None
        data: dict[str, Any] = {}
        if ws is not None:
            if not ws.is_dir():
                raise ConfigError(f"{ws}: the workspace folder does not exist (try `ticketflow init {ws}`)")
            data = read_toml(ws / "ticketflow.toml")
            _refuse_written_secrets(data, ws / "ticketflow.toml")
            _refuse_written_feedback_secret(data, ws / "ticketflow.toml")
            overrides.setdefault("workspace", ws)
        token = _toml_data.set(data)
        try:
            return cls(**overrides)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            where = ws / "ticketflow.toml" if ws is not None else "settings"
            raise ConfigError(f"{where}: {problems} (or the matching TICKETFLOW_* variable)") from exc
        finally:
            _toml_data.reset(token)


SECRET_KEYS = frozenset({"api_token", "oauth_token", "webhook_secret", "access_token", "api_key", "password"})
"""Keys of a ``[channels.*]`` section that hold secrets: accepted from the environment only."""


ALERT_SECRETS = {"slack": ("webhook_url", "url"), "webhook": ("secret",), "email": ("password",)}
"""Keys of ``[alerts.*]`` that would hold secrets, refused in the file with the variable to use instead."""


def _refuse_written_alert_secrets(data: dict[str, Any], path: Path) -> None:
    alerts = data.get("alerts")
    for name, keys in ALERT_SECRETS.items():
        section = alerts.get(name) if isinstance(alerts, dict) else None
        written = sorted(set(keys) & set(section)) if isinstance(section, dict) else []
        if written:
            raise ConfigError(
                f"{path}: [alerts.{name}] {', '.join(written)}: secrets are read from the environment only; "
                f"remove it and name the variable that holds it ({name}: see docs/alerts.md)"
            )


def _refuse_written_secrets(data: dict[str, Any], path: Path) -> None:
    """A secret written into ticketflow.toml is refused: files get copied, committed and shared."""
    _refuse_written_alert_secrets(data, path)
    for name, section in (data.get("channels") or {}).items():
        written = sorted(SECRET_KEYS & set(section)) if isinstance(section, dict) else []
        if written:
            variables = ", ".join(f"TICKETFLOW_CHANNELS__{name.upper()}__{key.upper()}" for key in written)
            raise ConfigError(
                f"{path}: [channels.{name}] {', '.join(written)}: secrets are read from the environment "
                f"only; remove them from the file and set {variables}"
            )


def _refuse_written_feedback_secret(data: dict[str, Any], path: Path) -> None:
    """``[feedback] secret`` is refused like a channel's secret: the link's key comes from the environment."""
    section = data.get("feedback")
    if isinstance(section, dict) and "secret" in section:
        raise ConfigError(
            f"{path}: [feedback] secret: secrets are read from the environment only; remove it from the "
            f"file and set {section.get('secret_env', 'TICKETFLOW_FEEDBACK_SECRET')}"
        )


def redact_url(url: str) -> str:
    """A database URL fit for logs: the password replaced by ``***``."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show only its scheme
        return url.split(":", 1)[0] + ":***"


def read_toml(path: Path) -> dict[str, Any]:
    """The toml file as a dict ({} when absent), or a ``ConfigError`` naming the file and line."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return (_toml_data.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_toml_data.get() or {})
