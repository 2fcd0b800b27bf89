"""Builds the engine from settings: the one place where concrete adapters are chosen.

::

    engine = Engine.from_workspace("examples/store")
    result = engine.handle(message)        # in-process, recorded in the store
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ticketflow.channels.api import CHANNELS, MessageIn
from ticketflow.checks.length import LengthCompleteness
from ticketflow.checks.numbers import GroundedFigures
from ticketflow.checks.pii_leak import PiiLeak
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.domain.records import EvalRecord, RecordError, parse_lines
from ticketflow.domain.result import TicketResult
from ticketflow.errors import ConfigError, InputError
from ticketflow.knowledge.classifier import TextClassifier, fingerprint
from ticketflow.knowledge.workspace import Workspace, load_workspace
from ticketflow.pipeline.context import ContextBuilder
from ticketflow.pipeline.delivery import Deliverer
from ticketflow.pipeline.generation import Generator
from ticketflow.pipeline.intake import Intake
from ticketflow.pipeline.prompt import build_system_prompt
from ticketflow.pipeline.routing import Router
from ticketflow.pipeline.runner import Pipeline
from ticketflow.pipeline.validation import Validator
from ticketflow.privacy.presidio import PresidioPatterns
from ticketflow.providers.offline import OfflineDrafter
from ticketflow.providers.pricing import PRICED_MODELS
from ticketflow.settings import Settings
from ticketflow.storage.repository import SqlStore

__all__ = [
    "CHANNELS",
    "PRICED_MODELS",
    "Engine",
    "MessageIn",
    "Settings",
    "TrainedModels",
    "customer_ref",
    "read_records",
    "save_models",
    "ticket_from_record",
    "train_models",
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


@dataclass(frozen=True, slots=True)
class TrainedModels:
    intent: TextClassifier | None
    tone: TextClassifier | None


def train_models(records: Sequence[EvalRecord]) -> TrainedModels:
    """Train the intent model from ``labels.intent`` and the tone model from ``labels.sentiment``."""
    with_intent = [(r.text, str(r.labels["intent"])) for r in records if r.labels.get("intent")]
    with_tone = [(r.text, str(r.labels["sentiment"])) for r in records if r.labels.get("sentiment")]
    intent = TextClassifier.train(*zip(*with_intent, strict=True)) if with_intent else None
    tone = TextClassifier.train(*zip(*with_tone, strict=True)) if with_tone else None
    return TrainedModels(intent, tone)


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


def _workspace_models(settings: Settings, workspace: Workspace) -> TrainedModels:
    """Models trained by ``ticketflow train`` if present; else trained from ``examples.jsonl`` and cached."""
    folder = models_dir(settings)
    intent_path, tone_path = folder / INTENT_MODEL, folder / TONE_MODEL
    intent = TextClassifier.load(intent_path) if intent_path.exists() else None
    tone = TextClassifier.load(tone_path) if tone_path.exists() else None
    if intent is None and workspace.examples_path.exists():
        records = read_records(workspace.examples_path)
        labelled = [(r.text, str(r.labels["intent"])) for r in records if r.labels.get("intent")]
        cache = folder / f"intent-examples-{fingerprint(*zip(*labelled, strict=True))}.joblib"
        if cache.exists():
            intent = TextClassifier.load(cache)
        else:
            trained = train_models(records)
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
    ) -> None:
        self.settings = settings
        self.workspace = workspace
        self.models = models
        self.store = store
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
        loaded = load_workspace(settings.workspace)
        trained = models if models is not None else _workspace_models(settings, loaded)
        store = SqlStore.open(settings.resolved_database_url) if with_store else None
        return cls(settings, loaded, trained, store)

    def build_pipeline(self, models: TrainedModels) -> Pipeline:
        s, ws = self.settings, self.workspace
        if models.intent is None:
            raise ConfigError(
                f"{ws.root}: no intent model; label tickets in examples.jsonl or run `ticketflow train`"
            )
        provider = OfflineDrafter(
            company=s.name,
            model=s.models.generation,
            min_score=s.context.min_retrieval_score,
            latency_ms=s.offline_latency_ms,
        )
        detector = PresidioPatterns()
        return Pipeline(
            intake=Intake(self.store, s.context.history_turns),
            router=Router(
                ws.rules,
                models.intent,
                unsure_threshold=s.routing.unsure_threshold,
                tone_threshold=s.routing.tone_threshold,
                tone_model=models.tone,
            ),
            context=ContextBuilder(
                ws.index, ws.customers, token_budget=s.context.token_budget, passages=s.context.passages
            ),
            generator=Generator(provider, build_system_prompt(s.name, ws.voice.text, ws.rules)),
            validator=Validator(
                [LengthCompleteness(s.validation.max_words), GroundedFigures(), PiiLeak(detector)]
            ),
            delivery=Deliverer(self.store),
            regenerate=s.validation.regenerate,
        )

    def with_models(self, models: TrainedModels) -> Engine:
        """The same engine with other models (cross-validation folds), sharing workspace and store."""
        return Engine(self.settings, self.workspace, models, self.store)

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
        if self.store is not None:
            self.store.close()
