"""In-memory fakes of the pipeline's ports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ticketflow.domain.context import Passage, PolicyQuote
from ticketflow.domain.customer import Customer
from ticketflow.domain.draft import Draft
from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import CustomerRef
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import ProviderError
from ticketflow.ports.provider import GenerationRequest


class ScriptedProvider:
    """A ``Provider`` that returns the drafts it was given, in order, and remembers every request."""

    name = "scripted"

    def __init__(self, drafts: Iterable[Draft | str]) -> None:
        self._drafts = [d if isinstance(d, Draft) else Draft(d) for d in drafts]
        self.requests: list[GenerationRequest] = []

    def generate(self, request: GenerationRequest) -> Draft:
        self.requests.append(request)
        if len(self.requests) > len(self._drafts):
            raise ProviderError(
                f"the script has {len(self._drafts)} draft(s); call {len(self.requests)} has none"
            )
        return self._drafts[len(self.requests) - 1]


@dataclass
class MemoryOutbox:
    """An ``Outbox`` that keeps what was sent and queued, and refuses repeats like the real store."""

    sent: dict[str, str] = field(default_factory=dict)
    reviews: dict[str, Handoff] = field(default_factory=dict)

    def send(self, ticket_id: TicketId, conversation_id: ConversationId, channel: str, body: str) -> bool:
        if ticket_id in self.sent:
            return False
        self.sent[ticket_id] = body
        return True

    def queue_review(self, ticket_id: TicketId, reason: str, handoff: Handoff) -> bool:
        if ticket_id in self.reviews:
            return False
        self.reviews[ticket_id] = handoff
        return True


@dataclass
class StaticKnowledge:
    """A ``KnowledgeIndex`` over fixed passages (ranked by word overlap) and policies keyed by intent."""

    passages: list[Passage] = field(default_factory=list)
    policies: dict[str, list[PolicyQuote]] = field(default_factory=dict)

    def search(self, query: str, k: int) -> list[Passage]:
        words = set(query.lower().split())
        ranked = sorted(self.passages, key=lambda p: -len(words & set(p.text.lower().split())))
        return ranked[:k]

    def policies_for(self, intent: str | None) -> list[PolicyQuote]:
        return list(self.policies.get(intent or "", []))


@dataclass
class StaticCustomers:
    """A ``CustomerSource`` over a fixed list."""

    customers: list[Customer] = field(default_factory=list)

    def lookup(self, ref: CustomerRef) -> Customer | None:
        for customer in self.customers:
            if customer.id == ref.id or (ref.email and customer.email.lower() == ref.email.lower()):
                return customer
        return None
