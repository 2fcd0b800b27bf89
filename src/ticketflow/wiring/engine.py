"""``Engine``: one workspace's settings, files, models, store and pipeline, assembled.

::

    engine = Engine.from_workspace("examples/store")
    result = engine.handle(message)        # in-process, recorded in the store
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ticketflow.domain.context import PolicyQuote
from ticketflow.domain.feedback import FeedbackLinks
from ticketflow.domain.message import InboundMessage, Ticket
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult
from ticketflow.errors import ConfigError
from ticketflow.knowledge.routing.sentiment import VaderLexicon
from ticketflow.knowledge.workspace.loader import Workspace, load_workspace, published_texts, with_examples
from ticketflow.pipeline.context import ContextBuilder
from ticketflow.pipeline.delivery import Deliverer
from ticketflow.pipeline.generation import Generator
from ticketflow.pipeline.generation.prompt import build_system_prompt
from ticketflow.pipeline.intake import Intake
from ticketflow.pipeline.routing import Router
from ticketflow.pipeline.runner import Pipeline
from ticketflow.pipeline.validation import Validator
from ticketflow.ports.access import ApiKeys
from ticketflow.ports.attempts import AttemptJournal
from ticketflow.ports.batch import BatchProvider
from ticketflow.ports.customers import PastTickets
from ticketflow.ports.pii import PiiDetector
from ticketflow.ports.provider import Provider
from ticketflow.ports.store import HistorySource
from ticketflow.privacy.masking import PlaceholderMasker, published_values
from ticketflow.privacy.presidio import PresidioPatterns
from ticketflow.settings import Settings
from ticketflow.storage.past_tickets import SqlPastTickets
from ticketflow.storage.repository import SqlStore
from ticketflow.wiring import adapters, telemetry
from ticketflow.wiring.feedback import feedback_links
from ticketflow.wiring.models import TrainedModels, models_dir, train_models, workspace_models


class Engine:
    """The assembled system for one workspace: settings, workspace files, store and pipeline."""

    def __init__(
        self,
        settings: Settings,
        workspace: Workspace,
        models: TrainedModels,
        store: SqlStore | None,
        chosen: adapters.Providers | None = None,
        *,
        provider: Provider | None = None,
        history: HistorySource | None = None,
        past_tickets: PastTickets | None = None,
        journal: AttemptJournal | None = None,
        spent_today: Callable[[], float] | None = None,
    ) -> None:
        """Assemble; ``provider`` replaces the generation provider the settings would choose (tests).

        Without a store, ``history`` and ``past_tickets`` give the pipeline read-only conversations and
        earlier tickets (``ticketflow replay``): it sees what a stored ticket saw, and delivers nothing;
        ``journal`` then records its paid attempts and ``spent_today`` puts the daily budget before them.
        """
        self.settings = settings
        self.workspace = workspace
        self.models = models
        self.store = store
        self._history = history
        self._past = past_tickets
        if provider is not None:
            chosen = adapters.Providers(provider)
        self._owns_providers = chosen is None
        self._providers = chosen or adapters.providers(
            settings,
            store.spent_today if store is not None else spent_today,
            store.attempts if store is not None else journal,
        )
        self._closers: list[Callable[[], None]] = []
        self.channels = adapters.channels(
            settings,
            store.mail if store is not None else None,
            store.keys.webhook if store is not None else None,
        )
        self.pii_detector: PiiDetector = PresidioPatterns(
            nlp_dir=models_dir(settings) / "spacy-blank-en", ner=settings.privacy.ner
        )
        self.tracer, stop_tracing = telemetry.tracer(settings)
        if stop_tracing is not None:
            self._closers.append(stop_tracing)
        self.pipeline = self.build_pipeline(models)
        self.feedback_links: FeedbackLinks | None = feedback_links(settings.feedback)
        """The signed rating link appended to replies (``[feedback]``), or None when it is off."""

    @classmethod
    def from_workspace(
        cls,
        workspace: Path | str | None = None,
        *,
        settings: Settings | None = None,
        with_store: bool = True,
        models: TrainedModels | None = None,
    ) -> Engine:
        """Load the workspace's files and models, open its store, and assemble the pipeline."""
        settings = settings or Settings.load(workspace or "examples/store")
        loaded = load_workspace(settings.workspace, index_dir=settings.var_dir / "index")
        trained = models if models is not None else workspace_models(settings, loaded)
        store = SqlStore.open(settings.resolved_database_url) if with_store else None
        return cls(settings, loaded, trained, store)

    @property
    def provider(self) -> Provider:
        """The generation provider (offline drafter, Claude behind its budget, or a local server)."""
        return self._providers.generation

    @property
    def api_keys(self) -> ApiKeys:
        """The store's API keys (``ConfigError`` for an engine built without a store)."""
        if self.store is None:
            raise ConfigError("this engine has no store, so no API keys; build it with with_store=True")
        return self.store.keys

    @property
    def uses_claude(self) -> bool:
        """Whether replies are drafted by Claude (the demo then reports Claude's own usage)."""
        return self._providers.claude is not None

    def build_pipeline(self, models: TrainedModels) -> Pipeline:
        """The six stages over this engine's ports, with ``models`` routing."""
        s, ws = self.settings, self.workspace
        detector = self.pii_detector
        published = published_values(detector, published_texts((*ws.policies, *ws.articles)))
        policy_set = [PolicyQuote(d.id, d.title, d.body.strip()) for d in ws.policies]
        system_prompt = build_system_prompt(s.name, ws.voice.text, ws.rules, policy_set)
        judge = adapters.judge(s, ws, self._providers, PlaceholderMasker(detector, published))
        return Pipeline(
            intake=Intake(
                self.store if self.store is not None else self._history,
                s.context.history_turns,
                summarise_older=s.context.summarise_older,
            ),
            router=Router(
                ws.rules,
                models.intent,
                unsure_threshold=(
                    s.routing.unsure_threshold
                    if s.routing.unsure_threshold is not None
                    else models.intent.unsure_threshold
                    if models.intent is not None
                    else 1.0  # no intent model: nothing is sure, routing is by rules and retrieval
                ),
                tone_threshold=s.routing.tone_threshold,
                tone_model=models.tone,
                lexicon=VaderLexicon(),
                matcher=adapters.canned_matcher(ws),
                chatter=adapters.chatter_responses(s),
                language=adapters.language_detector(s),
                languages=tuple(s.languages.served),
                any_language=adapters.writes_any_language(s),
                scope=adapters.scope_model(s, ws, models.intent),
                familiarity=adapters.familiarity_model(s, models.intent),
                risk_mass=s.routing.risk_mass,
                draft_unsure_below=s.routing.draft_unsure_below,
                max_message_tokens=s.routing.max_message_tokens,
            ),
            context=ContextBuilder(
                ws.index,
                adapters.customer_source(s, ws),
                token_budget=s.context.token_budget,
                passages=s.context.passages,
                past_tickets=SqlPastTickets(self.store.engine) if self.store is not None else self._past,
                previous=s.context.previous_tickets,
                on_stale=s.customers.on_stale,
                live_intents=frozenset(s.customers.live_intents),
                currency=s.customers.currency.upper(),
                rankers=adapters.document_rankers(s, ws),
                # routing names an intent on every ticket once there is an intent model, unless unsure
                # tickets are drafted: only then are the unrouted rankers needed (and built, and embedded)
                unrouted_rankers=(
                    adapters.document_rankers(s, ws, s.context.unrouted_rankers)
                    if models.intent is None or s.routing.draft_unsure_below is not None
                    else ()
                ),
            ),
            generator=Generator(self.provider, system_prompt, masker=PlaceholderMasker(detector, published)),
            validator=Validator(
                [*adapters.checks(s, ws, detector), adapters.relevance(ws, models.intent), *judge],
                s.validation.policy,
            ),
            delivery=Deliverer(self.store),
            regenerate=s.validation.regenerate,
            tracer=self.tracer,
        )

    @property
    def batch(self) -> BatchProvider | None:
        """Claude's Message Batches, when ``[anthropic.batch] enabled`` (None for other providers)."""
        if self._providers.claude is None or not self.settings.anthropic.batch.enabled:
            return None
        return self._providers.claude

    def cache_note(self) -> str | None:
        """Whether the Claude provider's static prefix is long enough to be cached (None offline)."""
        claude = self._providers.claude
        if claude is None:
            return None
        return claude.cache_status(self.pipeline.generator.system_prompt).describe(claude.model)

    def held_out(self, train: Sequence[EvalRecord]) -> Engine:
        """The same engine (store, providers, settings) routed and searched as if ``train`` were the
        workspace's only labelled examples: the intent model is trained on them and ``intents.yaml``, and the
        index's article questions come from them; the tone model is kept. For reports on tickets held out."""
        workspace = with_examples(self.workspace, train)
        trained = train_models(train, backend=self.settings.routing.backend, phrasings=workspace.phrasings)
        models = TrainedModels(trained.intent or self.models.intent, self.models.tone)
        return Engine(
            self.settings,
            workspace,
            models,
            self.store,
            chosen=self._providers,
            history=self._history,
            past_tickets=self._past,
        )

    def with_models(self, models: TrainedModels) -> Engine:
        """The same engine with other models (cross-validation folds), sharing workspace, store, provider."""
        return Engine(
            self.settings,
            self.workspace,
            models,
            self.store,
            chosen=self._providers,
            history=self._history,
            past_tickets=self._past,
        )

    def handle(self, message: InboundMessage) -> TicketResult:
        """Accept and process one message in-process (no durable runtime): for scripts and tests."""
        if self.store is None:
            raise ConfigError("this engine has no store; build it with with_store=True")
        accepted = self.store.accept(message)
        result = self.pipeline.process(self.store.load_ticket(accepted.ticket_id))
        self.store.finish(result)
        return result

    def process(self, ticket: Ticket) -> TicketResult:
        """Run the pipeline over a ticket that is not stored (evaluation)."""
        return self.pipeline.process(ticket)

    def close(self) -> None:
        """Close the provider clients this engine opened, its channels' clients, and its store."""
        if self._owns_providers:
            while self._providers.closers:
                self._providers.closers.pop()()
        while self._closers:
            self._closers.pop()()
        for channel in self.channels.values():
            closing = getattr(channel, "close", None)  # helpdesks hold an HTTP connection pool
            if callable(closing):
                closing()
        if self.store is not None:
            self.store.close()
