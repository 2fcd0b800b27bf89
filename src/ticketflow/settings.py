"""One validated settings object, built once (in ``wiring``) and passed in; never a module global.

Precedence, highest first: explicit overrides, ``TICKETFLOW_*`` environment variables (nested with ``__``,
e.g. ``TICKETFLOW_ROUTING__UNSURE_THRESHOLD``), the workspace's ``ticketflow.toml``, then the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
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
    rankers: tuple[Literal["questions", "embeddings"], ...] = Field(
        ("questions",),
        description="second opinions fused with BM25 by reciprocal rank: nearest customer phrasings "
        "(questions), sentence embeddings (embeddings extra); [] for BM25 alone",
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
            "decline": "Thanks for getting in touch. We can only help with orders, deliveries, returns and "
            "accounts at {name}, so we can't help with this request.",
            "thanks": "You're welcome! If there's anything else about your order or account, just reply.",
        },
        description="response name -> text; {name} becomes the workspace's name",
    )
    density: bool = Field(
        True, description="treat a message far from every example of the workspace as out_of_scope"
    )
    density_quantile: float = Field(
        0.02, gt=0.0, lt=0.5, description="share of the workspace's own examples the density cut calls far"
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


class ChannelsSettings(_Section):
    """``[channels.*]``: the channels beyond the HTTP API, each off until its section is present.

    Secrets are never written here: each channel names the environment variables that hold them
    (``TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN`` and the like), and reads them only from the environment.
    """

    email: EmailSettings | None = None
    zendesk: ZendeskSettings | None = None
    intercom: IntercomSettings | None = None
    freshdesk: FreshdeskSettings | None = None


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
    anthropic: AnthropicSettings = AnthropicSettings()
    openai_compatible: OpenAICompatibleSettings = OpenAICompatibleSettings()
    judge: JudgeSettings = JudgeSettings()
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


def _refuse_written_secrets(data: dict[str, Any], path: Path) -> None:
    """A secret written into ticketflow.toml is refused: files get copied, committed and shared."""
    for name, section in (data.get("channels") or {}).items():
        written = sorted(SECRET_KEYS & set(section)) if isinstance(section, dict) else []
        if written:
            variables = ", ".join(f"TICKETFLOW_CHANNELS__{name.upper()}__{key.upper()}" for key in written)
            raise ConfigError(
                f"{path}: [channels.{name}] {', '.join(written)}: secrets are read from the environment "
                f"only; remove them from the file and set {variables}"
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
