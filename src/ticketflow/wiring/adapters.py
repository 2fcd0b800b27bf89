"""Which adapter each port gets, as the settings say: provider, customer source, rankers, matcher, checks.

Adding a provider, a customer source or a check means one branch here, next to its siblings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ticketflow.channels.api import ApiChannel
from ticketflow.channels.email.settings_model import EmailSettings, ImapSettings
from ticketflow.checks.escalation import EscalationConsistency
from ticketflow.checks.grounding import GroundedFigures
from ticketflow.checks.injection import InjectionEcho
from ticketflow.checks.judge import ModelJudge
from ticketflow.checks.length import LengthCompleteness
from ticketflow.checks.pii import PiiLeak
from ticketflow.checks.policy import PolicyPromises
from ticketflow.checks.relevance import Relevance
from ticketflow.checks.tone import ToneBrand
from ticketflow.domain.access import WebhookTarget
from ticketflow.errors import ConfigError
from ticketflow.knowledge.customers.cache import TieredCustomers
from ticketflow.knowledge.customers.sources import HttpCustomers, SqlCustomers
from ticketflow.knowledge.encoder import embeddings_installed, sentence_encoder
from ticketflow.knowledge.language import LinguaDetector
from ticketflow.knowledge.retrieval.articles import ArticleRanker, article_text
from ticketflow.knowledge.retrieval.dense import DenseRanker
from ticketflow.knowledge.retrieval.questions import NearestQuestions
from ticketflow.knowledge.routing.canned import CannedMatcher
from ticketflow.knowledge.routing.embeddings import EmbeddingClassifier
from ticketflow.knowledge.routing.familiarity import FamiliarityScope
from ticketflow.knowledge.routing.scope import LazyNeighbourhood
from ticketflow.knowledge.workspace.loader import Workspace
from ticketflow.knowledge.workspace.phrasings import labelled as labelled_phrasings
from ticketflow.pipeline.generation.prompt import REPLY_SCHEMA
from ticketflow.ports.attempts import AttemptJournal
from ticketflow.ports.channel import Channel, ChannelRequest
from ticketflow.ports.check import Check
from ticketflow.ports.customers import CustomerSource
from ticketflow.ports.knowledge import DocumentRanker, IntentClassifier, ScopeModel
from ticketflow.ports.pii import PiiDetector, PiiMasker
from ticketflow.ports.provider import Provider
from ticketflow.ports.store import MailThreads
from ticketflow.providers.anthropic import AnthropicProvider
from ticketflow.providers.budget import DailyBudget
from ticketflow.providers.claude_judge import JUDGE_SCHEMA, ClaudeJudge
from ticketflow.providers.offline import OfflineDrafter
from ticketflow.providers.openai_compatible import OpenAICompatibleProvider
from ticketflow.settings import Settings
from ticketflow.wiring import desks
from ticketflow.wiring.models import OUT_OF_SCOPE, intent_examples


@dataclass
class Providers:
    """The generation provider, the Claude client behind it (if any), what to close at the end, and the
    attempt journal the model clients write each paid attempt to (the judge's too)."""

    generation: Provider
    claude: AnthropicProvider | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)
    journal: AttemptJournal | None = None


def providers(
    settings: Settings, spent_today: Callable[[], float] | None, journal: AttemptJournal | None = None
) -> Providers:
    """The generation provider the settings ask for (``provider``, or anthropic when a key is set).

    ``spent_today`` (the ledger's spend since midnight, in-flight attempts included) puts the daily budget
    in front of Claude; ``journal`` records each paid HTTP attempt before it is sent (the offline drafter
    makes none: its projections are not calls).
    """
    s = settings
    kind = s.resolved_provider
    if kind == "offline":
        drafter = OfflineDrafter(
            company=s.name,
            model=s.models.generation,
            min_score=s.context.min_retrieval_score,
            latency_ms=s.offline_latency_ms,
        )
        return Providers(drafter)
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
            journal=journal,
        )
        return Providers(local, closers=[local.close], journal=journal)
    claude = AnthropicProvider(
        model=s.models.generation,
        schema=REPLY_SCHEMA,
        timeout_s=s.anthropic.timeout_s,
        max_retries=s.anthropic.max_retries,
        cache_ttl=s.anthropic.cache_ttl,
        journal=journal,
    )
    generation: Provider = claude
    if s.anthropic.daily_budget_usd is not None and spent_today is not None:
        generation = DailyBudget(claude, s.anthropic.daily_budget_usd, spent_today)
    return Providers(generation, claude, [claude.close], journal)


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


def channels(
    settings: Settings,
    mail: MailThreads | None = None,
    webhooks: Callable[[str], WebhookTarget | None] | None = None,
) -> Mapping[str, Channel]:
    """The channels messages arrive on and replies leave by, by name: the HTTP API's own, each configured
    helpdesk (``[channels.zendesk|intercom|freshdesk]``, secrets from the environment), and email when
    ``[channels.email]`` is set (``mail``: the store's Message-IDs, which thread new mail into conversations;
    ``webhooks``: each API key's webhook, where the API channel posts replies).
    """
    found: dict[str, Channel] = {"api": ApiChannel(webhooks)}
    found.update(desks.helpdesks(settings.channels))
    if settings.channels.email is not None:
        from ticketflow.channels.email.channel import EmailChannel

        known = mail.conversation_of if mail is not None else (lambda _: None)
        found["email"] = EmailChannel.from_settings(settings.channels.email, known=known)
    return found


class Listener(Protocol):
    """A server started and stopped by the runtime (the SMTP intake); ``port`` once started."""

    @property
    def port(self) -> int: ...

    def start(self) -> object: ...

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Polled:
    """What one IMAP poll found (raw mails, oldest first) and the checkpoint to store after taking them."""

    messages: tuple[bytes, ...]
    checkpoint: dict[str, int]


def imap_poller(settings: ImapSettings) -> Callable[[dict[str, Any] | None], Polled]:
    """A poll of the ``[channels.email.imap]`` mailbox after a stored checkpoint (uidvalidity, uid)."""
    from ticketflow.channels.email.imap import Checkpoint, poll

    def run(stored: dict[str, Any] | None) -> Polled:
        checkpoint = Checkpoint(int(stored["uidvalidity"]), int(stored["uid"])) if stored else None
        found = poll(
            settings.host,
            settings.port,
            settings.user,
            settings.password_env,
            settings.folder,
            checkpoint,
            security=settings.security,
            timeout=settings.timeout_seconds,
        )
        after = {"uidvalidity": found.checkpoint.uidvalidity, "uid": found.checkpoint.uid}
        return Polled(tuple(m.raw for m in found.messages), after)

    return run


def smtp_intake(settings: EmailSettings, accept: Callable[[ChannelRequest], None]) -> Listener:
    """The SMTP intake on ``settings.listen``: each mail for our addresses reaches ``accept`` as the raw
    bytes with the envelope (``x-envelope-from`` / ``x-envelope-to``); ``accept`` raising means ``451``."""
    from ticketflow.channels.email.channel import ENVELOPE_FROM, ENVELOPE_TO
    from ticketflow.channels.email.smtp_intake import Envelope, SmtpIntake

    def hook(raw: bytes, envelope: Envelope) -> None:
        headers = {ENVELOPE_TO: ",".join(envelope.rcpt_tos)}
        if envelope.mail_from is not None:
            headers[ENVELOPE_FROM] = envelope.mail_from
        accept(ChannelRequest(raw, headers))

    return SmtpIntake(
        listen=settings.listen, addresses=settings.addresses, accept=hook, max_bytes=settings.max_bytes
    )


def chatter_responses(settings: Settings) -> dict[str, str | None]:
    """``[scope] intents`` resolved: intent to its response text (``{name}`` filled in), None = handoff.

    Only intents the workspace's taxonomy knows are kept (a ``thanks`` the model was never taught cannot
    be predicted anyway); a response name missing from ``[scope] responses`` is a ``ConfigError``.
    """
    scope = settings.scope
    resolved: dict[str, str | None] = {}
    for intent, response in scope.intents.items():
        if response == "handoff":
            resolved[intent] = None
        elif response in scope.responses:
            resolved[intent] = scope.responses[response].replace("{name}", settings.name).strip()
        else:
            raise ConfigError(
                f"[scope] intents.{intent} = {response!r}: no such response in [scope] responses "
                f"({', '.join(sorted(scope.responses)) or 'none'}) and not 'handoff'"
            )
    return resolved


def familiarity_model(settings: Settings, intent: IntentClassifier | None) -> FamiliarityScope | None:
    """The intent model's own out-of-scope detector (the embeddings backend fits one as it trains), cut at
    ``density_quantile`` of its out-of-fold scores; None when ``[scope]`` does not ask for it
    (``detector = "lexical"``, ``density = false``) or the model has none."""
    scope = settings.scope
    if not scope.density or scope.detector == "lexical":
        return None
    if isinstance(intent, EmbeddingClassifier) and intent.familiarity is not None:
        return FamiliarityScope(intent, intent.familiarity.cut(scope.density_quantile))
    return None


def scope_model(
    settings: Settings, workspace: Workspace, intent: IntentClassifier | None = None
) -> ScopeModel | None:
    """The lexical density check over the workspace's intent examples (not its ``out_of_scope`` ones),
    fitted on first use: far from all of them is out of scope. None when ``[scope] density`` is off, or
    ``detector = "familiarity"`` and the intent model has a familiarity detector to use instead."""
    scope = settings.scope
    if not scope.density or (scope.detector == "familiarity" and familiarity_model(settings, intent)):
        return None
    texts = [t for t, i in intent_examples(workspace.examples, workspace.phrasings) if i != OUT_OF_SCOPE]
    return LazyNeighbourhood(texts, scope.density_quantile)


def language_detector(settings: Settings) -> LinguaDetector | None:
    """lingua over the served languages plus ``[languages] candidates``; None when detection is off."""
    languages = settings.languages
    if not languages.detect:
        return None
    return LinguaDetector(
        [*languages.served, *languages.candidates], accuracy=languages.accuracy, trusted=languages.served
    )


def writes_any_language(settings: Settings) -> bool:
    """Whether the provider can reply in the customer's language: Claude can, the offline drafter cannot
    (it quotes the workspace's own passages), nor do we assume a local model can."""
    return settings.resolved_provider == "anthropic"


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
    for record in workspace.examples:
        intent = str(record.labels.get("intent") or "")
        if intent in canned and record.labels.get("route", "rule") == "rule":
            phrasings.append((record.text, intent))
        elif intent and intent not in canned:
            others.append(record.text)
    return CannedMatcher.build(phrasings, others)


def document_rankers(
    settings: Settings, workspace: Workspace, names: Sequence[str] | None = None
) -> tuple[DocumentRanker, ...]:
    """The rankers ``names`` (default ``context.rankers``) to fuse with BM25, built over the workspace's
    articles and their questions."""
    rankers: list[DocumentRanker] = []
    for name in settings.context.rankers if names is None else names:
        if name == "questions":
            rankers.append(NearestQuestions(workspace.questions, workspace.first_chunks()))
        elif name == "articles":
            rankers.append(article_ranker(settings, workspace))
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


def article_ranker(settings: Settings, workspace: Workspace) -> ArticleRanker:
    """Whole articles by words and phrases, and by meaning as ``context.article_embeddings`` says: ``on``
    needs the embeddings extra (a ``ConfigError`` naming it otherwise), ``auto`` uses it when installed."""
    wanted = settings.context.article_embeddings
    encode = None
    if wanted == "on" or (wanted == "auto" and embeddings_installed()):
        needed_by = ('context.article_embeddings = "on"', 'set context.article_embeddings = "off"')
        encode = sentence_encoder(needed_by)
    texts = {a.id: article_text(a.title, a.body) for a in workspace.articles}
    return ArticleRanker(
        texts, workspace.first_chunks(), encode, cache_dir=settings.var_dir / "index" / "articles"
    )


def checks(settings: Settings, workspace: Workspace, detector: PiiDetector) -> list[Check]:
    """The deterministic validation checks, in the order they run."""
    s = settings
    return [
        PolicyPromises(),
        GroundedFigures(),
        ToneBrand(workspace.voice.banned_phrases, upset_at=s.validation.upset_tone),
        EscalationConsistency(),
        LengthCompleteness(s.validation.max_words),
        PiiLeak(detector, own_text=f"{s.name}\n{workspace.voice.text}"),
        InjectionEcho(),
    ]


def relevance(workspace: Workspace, topics: IntentClassifier | None) -> Relevance:
    """The relevance check over the intent model; two intents are related when an article or policy's
    front matter names both (its answer serves either question)."""
    related: dict[str, set[str]] = {}
    for doc in (*workspace.articles, *workspace.policies):
        for intent in doc.intents:
            related.setdefault(intent, set()).update(doc.intents)
    return Relevance(topics, {intent: frozenset(near) for intent, near in related.items()})


def judge(
    settings: Settings,
    workspace: Workspace,
    chosen: Providers,
    masker: PiiMasker,
) -> list[Check]:
    """The model judge (``[judge] enabled``) over the deterministic checks it settles; [] when off."""
    s = settings
    if not s.judge.enabled:
        return []
    if chosen.claude is None:
        raise ConfigError("[judge] enabled needs the Claude provider (provider = 'anthropic')")
    model = AnthropicProvider(
        model=s.models.validation,
        schema=JUDGE_SCHEMA,
        timeout_s=s.anthropic.timeout_s,
        max_retries=s.anthropic.max_retries,
        setting="models.validation",
        purpose="judge",
        journal=chosen.journal,
    )
    chosen.closers.append(model.close)
    deterministic: list[Check] = [
        ToneBrand(workspace.voice.banned_phrases, upset_at=s.validation.upset_tone),
        EscalationConsistency(),
        LengthCompleteness(s.validation.max_words),
    ]
    return [
        ModelJudge(
            ClaudeJudge(model, s.judge.max_output_tokens),
            deterministic,
            policy=s.validation.policy,
            masker=masker,
        )
    ]
