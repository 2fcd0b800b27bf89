"""Builds the engine from settings: the one place where concrete adapters are chosen.

::

    engine = Engine.from_workspace("examples/store")
    result = engine.handle(message)        # in-process, recorded in the store
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ticketflow.channels.api import CHANNELS, MessageIn
from ticketflow.checks.escalation import EscalationConsistency
from ticketflow.checks.injection_echo import InjectionEcho
from ticketflow.checks.judge import ModelJudge
from ticketflow.checks.length import LengthCompleteness
from ticketflow.checks.numbers import GroundedFigures
from ticketflow.checks.pii_leak import PiiLeak
from ticketflow.checks.policy import PolicyPromises
from ticketflow.checks.tone import ToneBrand
from ticketflow.domain.context import PolicyQuote
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.domain.records import EvalRecord, RecordError, parse_lines
from ticketflow.domain.result import TicketResult
from ticketflow.domain.rules import RuleBook
from ticketflow.errors import ConfigError, InputError
from ticketflow.knowledge.canned import CannedMatcher
from ticketflow.knowledge.classifier import TextClassifier, fingerprint
from ticketflow.knowledge.customer_cache import TieredCustomers
from ticketflow.knowledge.customer_sources import HttpCustomers, SqlCustomers
from ticketflow.knowledge.dense import DenseRanker
from ticketflow.knowledge.embeddings import EmbeddingClassifier, sentence_encoder
from ticketflow.knowledge.phrasings import Phrasings, load_phrasings
from ticketflow.knowledge.phrasings import labelled as labelled_phrasings
from ticketflow.knowledge.questions import NearestQuestions
from ticketflow.knowledge.rules import load_rules
from ticketflow.knowledge.sentiment import VaderLexicon
from ticketflow.knowledge.workspace import Workspace, load_workspace
from ticketflow.pipeline.context import ContextBuilder
from ticketflow.pipeline.delivery import Deliverer
from ticketflow.pipeline.generation import Generator
from ticketflow.pipeline.intake import Intake
from ticketflow.pipeline.prompt import REPLY_SCHEMA, build_system_prompt
from ticketflow.pipeline.routing import Router
from ticketflow.pipeline.runner import Pipeline
from ticketflow.pipeline.tone import cue_text, score_tone
from ticketflow.pipeline.validation import Validator
from ticketflow.ports.batch import BatchProvider
from ticketflow.ports.check import Check
from ticketflow.ports.customers import CustomerSource
from ticketflow.ports.knowledge import DocumentRanker
from ticketflow.ports.provider import Provider
from ticketflow.privacy.masking import PlaceholderMasker, published_values
from ticketflow.privacy.presidio import ENTITIES as PII_ENTITIES
from ticketflow.privacy.presidio import PresidioPatterns
from ticketflow.providers.anthropic import AnthropicProvider
from ticketflow.providers.budget import DailyBudget
from ticketflow.providers.claude_judge import JUDGE_SCHEMA, ClaudeJudge
from ticketflow.providers.offline import OfflineDrafter
from ticketflow.providers.openai_compatible import OpenAICompatibleProvider
from ticketflow.providers.pricing import PRICED_MODELS, cost_usd
from ticketflow.settings import Settings
from ticketflow.storage.past_tickets import SqlPastTickets
from ticketflow.storage.repository import SqlStore

__all__ = [
    "CHANNELS",
    "PII_ENTITIES",
    "PRICED_MODELS",
    "Engine",
    "MessageIn",
    "Settings",
    "TrainedModels",
    "cost_usd",
    "customer_ref",
    "read_records",
    "save_models",
    "ticket_from_record",
    "train_models",
    "workspace_phrasings",
    "workspace_rules",
]

log = logging.getLogger(__name__)

INTENT_MODEL = "intent.joblib"
TONE_MODEL = "tone.joblib"


def read_records(path: Path) -> list[EvalRecord]:
    """A ticket-eval JSONL file; a malformed line raises ``InputError`` naming the file and line."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        with path.open(encoding="utf-8") as handle:
            return list(parse_lines(handle, str(path)))
    except RecordError as exc:
        raise InputError(str(exc)) from exc


def ticket_from_record(record: EvalRecord) -> Ticket:
    """An evaluation record as a ticket: its last customer message, the earlier turns as history."""
    message = InboundMessage(
        channel=record.channel,
        external_id=record.id,
        customer=customer_ref(record),
        text=record.text,
        conversation_ref=record.id,
        received_at=record.messages[record.last_customer_index].at,
    )
    return Ticket(
        ticket_id_for(record.channel, record.id),
        conversation_id_for(record.channel, record.id),
        message,
        record.history,
    )


def customer_ref(record: EvalRecord) -> CustomerRef:
    if record.customer_id or record.customer_email:
        return CustomerRef(email=record.customer_email, id=record.customer_id)
    return CustomerRef(email=f"{record.id}@eval.invalid")


def customer_source(settings: Settings, workspace: Workspace) -> CustomerSource:
    """The workspace's account files, or a SQL / HTTP source behind a cache (``[customers]`` in the toml)."""
    c = settings.customers
    if c.source == "files":
        return workspace.customers
    if not c.url:
        raise ConfigError(f"[customers] source = {c.source!r} needs url (TICKETFLOW_CUSTOMERS__URL)")
    live: CustomerSource
    if c.source == "sql":
        live = SqlCustomers(
            c.url,
            table=c.table,
            columns=c.columns,
            facts=c.facts,
            orders_table=c.orders_table,
            order_columns=c.order_columns,
        )
    else:
        token = os.environ.get(c.auth_env) if c.auth_env else None
        if c.auth_env and not token:
            raise ConfigError(f"[customers] auth_env: the environment variable {c.auth_env} is not set")
        live = HttpCustomers(
            c.url,
            auth_header=(c.auth_header, token) if token else None,
            timeout_s=c.timeout_s,
            columns=c.columns,
            facts=c.facts,
            order_columns=c.order_columns,
        )
    return TieredCustomers(live, ttl_s=c.ttl_s, volatile=c.volatile)


@dataclass(frozen=True, slots=True)
class TrainedModels:
    intent: TextClassifier | EmbeddingClassifier | None
    tone: TextClassifier | None


def train_models(
    records: Sequence[EvalRecord],
    *,
    rules: RuleBook | None = None,
    backend: str = "tfidf",
    phrasings: Phrasings | None = None,
) -> TrainedModels:
    """Train the intent model from ``labels.intent`` and the tone model from ``labels.sentiment``.

    ``phrasings`` (the workspace's ``intents.yaml``) are more intent examples, after the records'.
    ``backend`` is ``routing.backend``: ``"embeddings"`` adds sentence embeddings to the intent model's
    features (the embeddings extra). The tone model reads each text with the cues of the lexicon reading
    (VADER polarity, our complaint rules, ``rules``' anger lexicon), exactly as routing will show it.
    """
    with_intent = intent_examples(records, phrasings)
    with_tone = [(r.text, str(r.labels["sentiment"])) for r in records if r.labels.get("sentiment")]
    intent_model = EmbeddingClassifier if backend == "embeddings" else TextClassifier
    intent = intent_model.train(*zip(*with_intent, strict=True)) if with_intent else None
    tone = None
    if with_tone:
        lexicon, anger = VaderLexicon(), (rules or RuleBook()).tone
        cued = [cue_text(text, score_tone(text, anger, lexicon)) for text, _ in with_tone]
        tone = TextClassifier.train(cued, [label for _, label in with_tone])
    return TrainedModels(intent, tone)


def intent_examples(records: Sequence[EvalRecord], phrasings: Phrasings | None) -> list[tuple[str, str]]:
    """``(text, intent)`` to train routing on: labelled records, then phrasings."""
    labelled = [(r.text, str(r.labels["intent"])) for r in records if r.labels.get("intent")]
    return labelled + labelled_phrasings(phrasings or {})


def workspace_phrasings(settings: Settings) -> Phrasings:
    """The workspace's ``intents.yaml`` (``ticketflow train`` adds them to the file it is given)."""
    return load_phrasings(settings.workspace / "intents.yaml")


def workspace_rules(settings: Settings) -> RuleBook:
    """The workspace's ``rules.yaml`` (for training the tone model as routing will read it)."""
    return load_rules(settings.workspace / "rules.yaml")


def canned_matcher(workspace: Workspace) -> CannedMatcher | None:
    """Nearest-neighbour matching of canned answers: their example phrasings plus labelled tickets.

    Labelled tickets (``examples.jsonl``) and ``intents.yaml`` phrasings of a canned intent add phrasings;
    those of other intents are the negatives that calibrate the similarity threshold.
    """
    canned = workspace.rules.canned
    phrasings = [(text, intent) for intent, answer in canned.items() for text in answer.examples]
    others: list[str] = []
    for text, intent in labelled_phrasings(workspace.phrasings):
        if intent in canned:
            phrasings.append((text, intent))
        else:
            others.append(text)
    if workspace.examples_path.exists():
        for record in read_records(workspace.examples_path):
            intent = str(record.labels.get("intent") or "")
            if intent in canned and record.labels.get("route", "rule") == "rule":
                phrasings.append((record.text, intent))
            elif intent and intent not in canned:
                others.append(record.text)
    return CannedMatcher.build(phrasings, others)


def document_rankers(settings: Settings, workspace: Workspace) -> tuple[DocumentRanker, ...]:
    """The ``context.rankers`` fused with BM25, built over the workspace's articles and their questions."""
    rankers: list[DocumentRanker] = []
    for name in settings.context.rankers:
        if name == "questions":
            rankers.append(NearestQuestions(workspace.questions, workspace.first_chunks()))
        elif name == "embeddings":
            needed_by = ('context.rankers = [..., "embeddings"]', 'remove "embeddings" from context.rankers')
            rankers.append(
                DenseRanker(
                    workspace.chunks,
                    sentence_encoder(needed_by),
                    questions=workspace.questions,
                    cache_dir=settings.var_dir / "index" / "dense",
                )
            )
    return tuple(rankers)


def models_dir(settings: Settings) -> Path:
    return settings.var_dir / "models"


def save_models(settings: Settings, models: TrainedModels) -> list[Path]:
    saved = []
    for name, model in ((INTENT_MODEL, models.intent), (TONE_MODEL, models.tone)):
        if model is not None:
            path = models_dir(settings) / name
            model.save(path)
            saved.append(path)
    return saved


def load_intent_model(path: Path, backend: str) -> TextClassifier | EmbeddingClassifier:
    """A stored intent model of the ``routing.backend`` in force (``ConfigError`` if trained with another)."""
    try:
        return EmbeddingClassifier.load(path) if backend == "embeddings" else TextClassifier.load(path)
    except ConfigError as exc:
        raise ConfigError(f"{exc} [routing.backend = {backend!r}]") from exc


def _workspace_models(settings: Settings, workspace: Workspace) -> TrainedModels:
    """Models trained by ``ticketflow train`` if present; else trained from ``examples.jsonl`` and cached."""
    folder = models_dir(settings)
    intent_path, tone_path = folder / INTENT_MODEL, folder / TONE_MODEL
    backend = settings.routing.backend
    intent = load_intent_model(intent_path, backend) if intent_path.exists() else None
    tone = TextClassifier.load(tone_path) if tone_path.exists() else None
    if intent is None and (workspace.examples_path.exists() or workspace.phrasings):
        records = read_records(workspace.examples_path) if workspace.examples_path.exists() else []
        labelled = intent_examples(records, workspace.phrasings)
        kind = "" if backend == "tfidf" else f"{backend}-"
        cache = folder / f"intent-examples-{kind}{fingerprint(*zip(*labelled, strict=True))}.joblib"
        try:
            intent = load_intent_model(cache, backend) if cache.exists() else None
        except ConfigError:  # saved by an older version: retrain below
            intent = None
        if intent is None:
            trained = train_models(records, backend=backend, phrasings=workspace.phrasings)
            intent = trained.intent
            if intent is not None:
                intent.save(cache)
    return TrainedModels(intent, tone)


class Engine:
    """The assembled system for one workspace: settings, workspace files, store and pipeline."""

    def __init__(
        self,
        settings: Settings,
        workspace: Workspace,
        models: TrainedModels,
        store: SqlStore | None,
        provider: Provider | None = None,
        parent: Engine | None = None,
    ) -> None:
        self.settings = settings
        self.workspace = workspace
        self.models = models
        self.store = store
        self.claude: AnthropicProvider | None = parent.claude if parent else None
        self._claude_endpoint: tuple[str | None, str | None] = (
            parent._claude_endpoint if parent else (None, None)
        )
        self._closers: list[Callable[[], None]] = []
        self.provider = provider or self._build_provider()
        self.pipeline = self.build_pipeline(models)

    @classmethod
    def from_workspace(
        cls,
        workspace: Path | str | None = None,
        *,
        settings: Settings | None = None,
        with_store: bool = True,
        models: TrainedModels | None = None,
    ) -> Engine:
        settings = settings or Settings.load(workspace or "examples/store")
        loaded = load_workspace(settings.workspace, index_dir=settings.var_dir / "index")
        trained = models if models is not None else _workspace_models(settings, loaded)
        store = SqlStore.open(settings.resolved_database_url) if with_store else None
        return cls(settings, loaded, trained, store)

    def build_pipeline(self, models: TrainedModels) -> Pipeline:
        s, ws = self.settings, self.workspace
        if models.intent is None:
            raise ConfigError(
                f"{ws.root}: no intent model; label tickets in examples.jsonl or run `ticketflow train`"
            )
        provider = self.provider
        detector = PresidioPatterns(nlp_dir=models_dir(s) / "spacy-blank-en")
        self.pii_detector = detector
        published = published_values(detector, [d.body for d in (*ws.policies, *ws.articles)])
        policy_set = [PolicyQuote(d.id, d.title, d.body.strip()) for d in ws.policies]
        system_prompt = build_system_prompt(s.name, ws.voice.text, ws.rules, policy_set)
        return Pipeline(
            intake=Intake(self.store, s.context.history_turns, summarise_older=s.context.summarise_older),
            router=Router(
                ws.rules,
                models.intent,
                unsure_threshold=(
                    s.routing.unsure_threshold
                    if s.routing.unsure_threshold is not None
                    else models.intent.unsure_threshold
                ),
                tone_threshold=s.routing.tone_threshold,
                tone_model=models.tone,
                lexicon=VaderLexicon(),
                matcher=canned_matcher(ws),
            ),
            context=ContextBuilder(
                ws.index,
                customer_source(s, ws),
                token_budget=s.context.token_budget,
                passages=s.context.passages,
                past_tickets=SqlPastTickets(self.store.engine) if self.store is not None else None,
                previous=s.context.previous_tickets,
                on_stale=s.customers.on_stale,
                live_intents=frozenset(s.customers.live_intents),
                rankers=document_rankers(s, ws),
            ),
            generator=Generator(provider, system_prompt, masker=PlaceholderMasker(detector, published)),
            validator=Validator(
                [
                    PolicyPromises(),
                    GroundedFigures(),
                    ToneBrand(ws.voice.banned_phrases, upset_at=s.validation.upset_tone),
                    EscalationConsistency(),
                    LengthCompleteness(s.validation.max_words),
                    PiiLeak(detector),
                    InjectionEcho(),
                    *self._judge(detector, published),
                ],
                s.validation.policy,
            ),
            delivery=Deliverer(self.store),
            regenerate=s.validation.regenerate,
        )

    def _build_provider(self) -> Provider:
        """The generation provider the settings ask for (``provider``, or anthropic when a key is set)."""
        s = self.settings
        kind = s.resolved_provider
        if kind == "offline":
            return OfflineDrafter(
                company=s.name,
                model=s.models.generation,
                min_score=s.context.min_retrieval_score,
                latency_ms=s.offline_latency_ms,
            )
        if kind == "openai-compatible":
            o = s.openai_compatible
            local = OpenAICompatibleProvider(
                base_url=o.base_url,
                model=o.model,
                schema=REPLY_SCHEMA,
                api_key=o.api_key,
                timeout_s=o.timeout_s,
                input_usd_per_million=o.input_usd_per_million,
                output_usd_per_million=o.output_usd_per_million,
            )
            self._closers.append(local.close)
            return local
        api_key = base_url = None
        if kind == "fake-anthropic":
            base_url, stop = start_fake_anthropic()
            api_key = "fake-anthropic-key"
            self._closers.append(stop)
        self._claude_endpoint = (api_key, base_url)
        self.claude = AnthropicProvider(
            model=s.models.generation,
            schema=REPLY_SCHEMA,
            api_key=api_key,
            base_url=base_url,
            timeout_s=s.anthropic.timeout_s,
            max_retries=s.anthropic.max_retries,
            cache_ttl=s.anthropic.cache_ttl,
        )
        self._closers.append(self.claude.close)
        if s.anthropic.daily_budget_usd is not None and self.store is not None:
            return DailyBudget(self.claude, s.anthropic.daily_budget_usd, self.store.spent_today)
        return self.claude

    def _judge(self, detector: PresidioPatterns, published: Iterable[str]) -> list[Check]:
        """The model judge (``[judge] enabled``) over the deterministic checks it settles; [] when off."""
        s = self.settings
        if not s.judge.enabled:
            return []
        if self.claude is None:
            raise ConfigError("[judge] enabled needs the Claude provider (provider = 'anthropic')")
        api_key, base_url = self._claude_endpoint
        judge = AnthropicProvider(
            model=s.models.validation,
            schema=JUDGE_SCHEMA,
            api_key=api_key,
            base_url=base_url,
            timeout_s=s.anthropic.timeout_s,
            max_retries=s.anthropic.max_retries,
            setting="models.validation",
            purpose="judge",
        )
        self._closers.append(judge.close)
        deterministic: list[Check] = [
            ToneBrand(self.workspace.voice.banned_phrases, upset_at=s.validation.upset_tone),
            EscalationConsistency(),
            LengthCompleteness(s.validation.max_words),
        ]
        return [
            ModelJudge(
                ClaudeJudge(judge, s.judge.max_output_tokens),
                deterministic,
                policy=s.validation.policy,
                masker=PlaceholderMasker(detector, published),
            )
        ]

    @property
    def batch(self) -> BatchProvider | None:
        """Claude's Message Batches, when ``[anthropic.batch] enabled`` (None for other providers)."""
        if self.claude is None or not self.settings.anthropic.batch.enabled:
            return None
        return self.claude

    def cache_note(self) -> str | None:
        """Whether the Claude provider's static prefix is long enough to be cached (None offline)."""
        if self.claude is None:
            return None
        status = self.claude.cache_status(self.pipeline.generator.system_prompt)
        return status.describe(self.claude.model)

    def with_models(self, models: TrainedModels) -> Engine:
        """The same engine with other models (cross-validation folds), sharing workspace and store."""
        return Engine(self.settings, self.workspace, models, self.store, provider=self.provider, parent=self)

    def handle(self, message: InboundMessage | MessageIn) -> TicketResult:
        """Accept and process one message in-process (no durable runtime): for scripts and tests."""
        if self.store is None:
            raise ConfigError("this engine has no store; build it with with_store=True")
        inbound = message.to_message() if isinstance(message, MessageIn) else message
        accepted = self.store.accept(inbound)
        result = self.pipeline.process(self.store.load_ticket(accepted.ticket_id))
        self.store.finish(result)
        return result

    def process(self, ticket: Ticket) -> TicketResult:
        return self.pipeline.process(ticket)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
        if self.store is not None:
            self.store.close()


def start_fake_anthropic() -> tuple[str, Callable[[], None]]:
    """Start the fake Anthropic server of ``ticketflow.testing`` on a loopback port: ``(base_url, stop)``.

    Only ``provider = "fake-anthropic"`` (``ticketflow demo --provider fake-anthropic``) reaches this. The
    testing package is imported by name, at call time, so production code keeps no import of it (the
    import-linter contract "production code never imports testing" holds for every other path).
    """
    fake_module = importlib.import_module("ticketflow.testing.fake_anthropic")
    server_module = importlib.import_module("ticketflow.testing.server")
    fake = fake_module.FakeAnthropic(responder=fake_module.support_responder)
    server = server_module.serve(fake.app)
    return str(server.url), server.stop
