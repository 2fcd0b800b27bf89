"""Read a workspace folder into values: voice, policies, articles, rules, phrasings, customers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ticketflow.domain.context import PolicyQuote
from ticketflow.domain.records import EvalRecord, RecordError, parse_lines
from ticketflow.domain.rules import RuleBook
from ticketflow.errors import ConfigError
from ticketflow.knowledge.customers.files import CsvCustomers
from ticketflow.knowledge.retrieval.bm25 import Bm25Index
from ticketflow.knowledge.retrieval.chunking import Chunk, chunk_markdown
from ticketflow.knowledge.workspace.frontmatter import Document, read_document
from ticketflow.knowledge.workspace.phrasings import Phrasings, load_phrasings
from ticketflow.knowledge.workspace.rules import load_rules

_BANNED_HEADER = re.compile(r"^\s*banned phrases\s*:?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Voice:
    """``voice.md``: the brand voice the drafter is given, and the banned phrases the tone check fails."""

    text: str
    banned_phrases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Workspace:
    """Everything a workspace folder defines, as :func:`load_workspace` reads it: voice, documents, rules, the
    search index, customers, phrasings and labelled examples.
    """

    root: Path
    voice: Voice
    policies: tuple[Document, ...]
    articles: tuple[Document, ...]
    rules: RuleBook
    index: Bm25Index
    customers: CsvCustomers
    phrasings: Phrasings
    """``intents.yaml``: customer phrasings per intent (training, search, canned matching)."""
    chunks: tuple[Chunk, ...]
    """The articles' chunks, as indexed."""
    questions: dict[str, tuple[str, ...]]
    """Per article id, the questions it answers in customers' words (:func:`article_questions`)."""
    examples: tuple[EvalRecord, ...] = ()
    """``examples.jsonl``: the workspace's labelled past tickets, parsed once."""

    def first_chunks(self) -> dict[str, Chunk]:
        """Per article id, its first chunk."""
        first: dict[str, Chunk] = {}
        for chunk in self.chunks:
            first.setdefault(chunk.source_id, chunk)
        return first

    @property
    def examples_path(self) -> Path:
        return self.root / "examples.jsonl"


def read_voice(path: Path) -> Voice:
    """``voice.md``; the bullet list under a "Banned phrases:" line becomes the banned list."""
    if not path.exists():
        return Voice("", ())
    text = path.read_text(encoding="utf-8")
    banned: list[str] = []
    collecting = False
    for line in text.splitlines():
        if _BANNED_HEADER.match(line):
            collecting = True
            continue
        if collecting:
            item = re.match(r"^\s*[-*]\s+(.*)$", line)
            if item:
                banned.append(item.group(1).strip().strip("\"'“”").rstrip("."))
            elif line.strip():
                collecting = False
    return Voice(text, tuple(b for b in banned if b))


def _documents(folder: Path) -> tuple[Document, ...]:
    if not folder.is_dir():
        return ()
    docs = tuple(read_document(p) for p in sorted(folder.glob("*.md")))
    seen: dict[str, Path] = {}
    for doc in docs:
        if doc.id in seen:
            raise ConfigError.at(doc.path, 2, f"id {doc.id!r} is already used by {seen[doc.id]}")
        seen[doc.id] = doc.path
    return docs


def read_examples(path: Path) -> tuple[EvalRecord, ...]:
    """``examples.jsonl`` (none when absent); a malformed line raises ``ConfigError`` naming file and line."""
    if not path.exists():
        return ()
    try:
        with path.open(encoding="utf-8") as handle:
            return tuple(parse_lines(handle, str(path)))
    except RecordError as exc:
        raise ConfigError(str(exc)) from exc


def article_questions(
    articles: tuple[Document, ...],
    examples: tuple[EvalRecord, ...],
    rules: RuleBook,
    phrasings: Phrasings | None = None,
) -> dict[str, tuple[str, ...]]:
    """Per article, the questions it answers in customers' words, for document expansion in the index.

    They are the texts of the labelled ``examples``, the canned answers' example phrasings and
    ``intents.yaml``'s phrasings, of every intent the article's front matter names. Only the workspace's own
    files are read, so an evaluation on another data set never finds its own test messages in the index.
    """
    asked: dict[str, list[str]] = {}
    for intent, canned in rules.canned.items():
        asked.setdefault(intent, []).extend(canned.examples)
    for intent, texts in (phrasings or {}).items():
        asked.setdefault(intent, []).extend(texts)
    for record in examples:
        label = record.labels.get("intent")
        if label:
            asked.setdefault(str(label), []).append(record.text)
    return {
        doc.id: tuple(dict.fromkeys(q for intent in doc.intents for q in asked.get(intent, ())))
        for doc in articles
        if doc.intents
    }


def published_texts(documents: Sequence[Document]) -> list[str]:
    """Each policy or article as the company publishes it, title and body: what masking leaves readable."""
    return [f"{d.title}\n{d.body}" for d in documents]


def workspace_documents(root: Path) -> tuple[Document, ...]:
    """The workspace's policies and articles, read without building its search index."""
    return (*_documents(root / "policies"), *_documents(root / "kb"))


def load_workspace(root: Path, *, index_dir: Path | None = None) -> Workspace:
    """Everything a workspace defines; each broken file raises ``ConfigError`` naming file and line.

    Only articles are chunked for search: policies are chosen by the intents their front matter names and
    quoted whole. Articles are also found through the example questions of their intents
    (:func:`article_questions`). With ``index_dir`` the search index is stored there and reused while no
    article changes.
    """
    if not root.is_dir():
        raise ConfigError(f"{root}: the workspace folder does not exist (try `ticketflow init {root}`)")
    policies = _documents(root / "policies")
    articles = _documents(root / "kb")
    chunks: list[Chunk] = []
    for doc in articles:
        chunks += chunk_markdown(doc.id, doc.title, doc.body, kind="kb", intents=doc.intents)
    quotes = [(PolicyQuote(doc.id, doc.title, doc.body.strip()), doc.intents) for doc in policies]
    rules = load_rules(root / "rules.yaml")
    phrasings = load_phrasings(root / "intents.yaml")
    examples = read_examples(root / "examples.jsonl")
    questions = article_questions(articles, examples, rules, phrasings)
    return Workspace(
        root=root,
        voice=read_voice(root / "voice.md"),
        policies=policies,
        articles=articles,
        rules=rules,
        index=Bm25Index(chunks, quotes, questions=questions, cache_dir=index_dir),
        customers=CsvCustomers.from_workspace(root),
        phrasings=phrasings,
        chunks=tuple(chunks),
        questions=questions,
        examples=examples,
    )


def with_examples(workspace: Workspace, examples: Sequence[EvalRecord]) -> Workspace:
    """``workspace`` as if ``examples`` were its only labelled tickets: the questions that expand its articles
    in the search index are rebuilt from them (in memory), so a ticket held out of ``examples`` is found
    neither in training nor in the index (the demo's folds)."""
    questions = article_questions(workspace.articles, tuple(examples), workspace.rules, workspace.phrasings)
    quotes = [(PolicyQuote(doc.id, doc.title, doc.body.strip()), doc.intents) for doc in workspace.policies]
    index = Bm25Index(workspace.chunks, quotes, questions=questions)
    return replace(workspace, examples=tuple(examples), questions=questions, index=index)
