"""What generation is given: labelled facts, within a token budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ticketflow.domain.customer import Customer, CustomerFetch
from ticketflow.domain.message import Turn


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved piece of a knowledge article or policy."""

    source_id: str
    title: str
    text: str
    score: float
    """How strongly retrieval ranks it: BM25's score, or the fused score when several rankings are fused."""
    kind: str = "kb"
    lexical: float | None = None
    """Word-overlap evidence (BM25's score) when ``score`` is something else, such as a fused score; 0 when
    only a ranking that reads no words found it. None: ``score`` is BM25's own."""

    @property
    def word_score(self) -> float:
        """The BM25 score behind this passage, whatever ranked it."""
        return self.score if self.lexical is None else self.lexical


@dataclass(frozen=True, slots=True)
class PolicyQuote:
    """A policy quoted verbatim, with its id, so a reply can cite it."""

    id: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class PastTicket:
    """An earlier ticket of the same customer, as the PREVIOUS TICKETS section shows it."""

    id: str
    text: str
    at: datetime | None = None
    intent: str | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class ContextPack:
    """The context stage's output: the facts and the rendered, labelled prompt section."""

    customer: Customer | None
    policies: tuple[PolicyQuote, ...]
    passages: tuple[Passage, ...]
    history: tuple[Turn, ...]
    rendered: str
    tokens: int
    dropped: tuple[str, ...] = field(default=())
    previous: tuple[PastTicket, ...] = field(default=())
    customer_fetch: CustomerFetch | None = None
    retrieved: tuple[str, ...] = field(default=())
    """Ids of the articles retrieval ranked for this ticket, best first, before the budget was applied."""
    handoff: str | None = None
    """Set when the reply needs a fact that could not be fetched live (policy: hand off, do not guess)."""

    def grounding_text(self) -> str:
        """Every fact a reply may use, as one string for grounding checks."""
        parts = [p.text for p in self.policies] + [p.text for p in self.passages]
        parts += [t.text for t in self.history]
        parts += [t.text for t in self.previous]
        if self.customer is not None:
            c = self.customer
            parts.append(" ".join([c.id, c.name, c.email, c.plan, c.status]))
            parts += [f"{k} {v}" for k, v in c.facts]
            parts += [" ".join([o.id, o.status, o.placed_at, o.total, o.items, o.tracking]) for o in c.orders]
        return "\n\n".join(parts)  # each part its own block: a sentence never runs into the next part
