"""The shipped fakes behave like the ports they stand in for."""

from __future__ import annotations

import pytest

from ticketflow.domain.context import Passage
from ticketflow.domain.customer import Customer
from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import CustomerRef
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import ProviderError
from ticketflow.testing import MemoryOutbox, ScriptedProvider, StaticCustomers, StaticKnowledge


def test_memory_outbox_refuses_a_second_send_like_the_store() -> None:
    outbox = MemoryOutbox()
    assert outbox.send(TicketId("t1"), ConversationId("c1"), "chat", "hi")
    assert not outbox.send(TicketId("t1"), ConversationId("c1"), "chat", "again")
    assert outbox.sent == {"t1": "hi"}
    assert outbox.queue_review(TicketId("t2"), "refund", Handoff("s", "refund"))
    assert not outbox.queue_review(TicketId("t2"), "refund", Handoff("s", "refund"))


def test_scripted_provider_runs_out_loudly() -> None:
    provider = ScriptedProvider(["only one"])
    assert provider.generate(None).reply == "only one"  # type: ignore[arg-type]
    with pytest.raises(ProviderError, match="has 1 draft"):
        provider.generate(None)  # type: ignore[arg-type]
    assert len(provider.requests) == 2


def test_static_knowledge_ranks_by_overlap_and_customers_match_email_case_insensitively() -> None:
    knowledge = StaticKnowledge(
        [Passage("a", "A", "returns take 30 days", 1.0), Passage("b", "B", "ship fast", 1.0)]
    )
    assert [p.source_id for p in knowledge.search("how fast do you ship", 1)] == ["b"]
    customers = StaticCustomers([Customer("C1", "Ada", "Ada@Example.com")])
    assert customers.lookup(CustomerRef(email="ada@example.com")) is not None
    assert customers.lookup(CustomerRef(id="C9")) is None
