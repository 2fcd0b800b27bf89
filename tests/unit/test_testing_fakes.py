"""The shipped fakes behave like the ports they stand in for.

The first test binds each fake to a variable annotated with its port, so ``mypy`` proves that every fake
satisfies its Protocol (``mypy tests/unit/test_testing_fakes.py``), and fails when ``ticketflow.testing``
exports a fake that is not bound there.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ticketflow import testing
from ticketflow.domain.checks import Verdict
from ticketflow.domain.context import ContextPack, Passage, PastTicket, PolicyQuote
from ticketflow.domain.customer import Customer, CustomerUnavailable
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.draft import Draft
from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.errors import ProviderError
from ticketflow.ports.batch import BatchClaims, BatchProvider
from ticketflow.ports.channel import Channel
from ticketflow.ports.check import Check
from ticketflow.ports.customers import CustomerSource, PastTickets
from ticketflow.ports.judge import Judgement, JudgeModel
from ticketflow.ports.knowledge import (
    AnswerMatcher,
    DocumentRanker,
    IntentClassifier,
    KnowledgeIndex,
    ToneModel,
)
from ticketflow.ports.pii import PiiDetector, PiiMasker
from ticketflow.ports.provider import GenerationRequest, Provider
from ticketflow.ports.sentiment import SentimentLexicon
from ticketflow.ports.store import DeliveryTarget, HistorySource
from ticketflow.testing import (
    FixedCheck,
    FixedClassifier,
    FixedJudge,
    FixedMatcher,
    FixedPolarity,
    FixedRanker,
    FixedToneModel,
    ListedMasker,
    ListedPii,
    ManualClock,
    MemoryBatchClaims,
    MemoryChannel,
    MemoryStore,
    ProviderBatches,
    ScriptedProvider,
    StaticCustomers,
    StaticKnowledge,
    StaticPastTickets,
)

SHIP = Passage("b", "B", "ship fast", 1.0)
RETURNS = Passage("a", "A", "returns take 30 days", 1.0)


def _request(attempt: int = 1) -> GenerationRequest:
    message = InboundMessage("api", "m-1", CustomerRef(email="ada@example.com"), "Do you ship fast?")
    ticket = Ticket(TicketId("t1"), ConversationId("c1"), message)
    context = ContextPack(None, (), (SHIP,), (), rendered="KNOWLEDGE: ship fast", tokens=5)
    return GenerationRequest(
        "system", "prompt", ticket, Decision(Route.AUTO, "delivery_options", 0.9), context, attempt=attempt
    )


def test_every_exported_fake_is_bound_to_its_port() -> None:
    provider: Provider = ScriptedProvider([])
    knowledge: KnowledgeIndex = StaticKnowledge()
    ranker: DocumentRanker = FixedRanker()
    classifier: IntentClassifier = FixedClassifier("track_order")
    tone: ToneModel = FixedToneModel(0.2)
    matcher: AnswerMatcher = FixedMatcher("parcel", "track_order")
    customers: CustomerSource = StaticCustomers()
    past: PastTickets = StaticPastTickets()
    detector: PiiDetector = ListedPii()
    masker: PiiMasker = ListedMasker()
    judge: JudgeModel = FixedJudge(Judgement("pass"))
    lexicon: SentimentLexicon = FixedPolarity(0.0)
    check: Check = FixedCheck("tone", Verdict.PASS)
    batches: BatchProvider = ProviderBatches(provider)
    claims: BatchClaims = MemoryBatchClaims()
    store = MemoryStore()
    delivery: DeliveryTarget = store
    history: HistorySource = store
    channel: Channel = MemoryChannel()
    clock: Callable[[], float] = ManualClock()

    bound: tuple[object, ...] = (provider, knowledge, ranker, classifier, tone, matcher, customers, past)
    bound += (detector, masker, judge, lexicon, check, batches, claims, delivery, channel, clock)
    assert history is store
    assert sorted(type(fake).__name__ for fake in bound) == sorted(testing.__all__)


def test_scripted_provider_runs_out_loudly() -> None:
    provider = ScriptedProvider(["only one"])
    assert provider.generate(_request()).reply == "only one"
    with pytest.raises(ProviderError, match="has 1 draft"):
        provider.generate(_request())
    assert len(provider.requests) == 2


def test_scripted_provider_fails_as_scripted_and_keeps_the_request_attempt() -> None:
    provider = ScriptedProvider([ProviderError("overloaded"), Draft("Hi", attempt=1)])

    with pytest.raises(ProviderError, match="overloaded"):
        provider.generate(_request())
    draft = provider.generate(_request(attempt=2))

    assert (draft.reply, draft.attempt) == ("Hi", 2)


def test_static_knowledge_ranks_by_overlap_and_customers_match_email_case_insensitively() -> None:
    knowledge = StaticKnowledge([RETURNS, SHIP])
    assert [p.source_id for p in knowledge.search("how fast do you ship", 1)] == ["b"]
    customers = StaticCustomers([Customer("C1", "Ada", "Ada@Example.com")])
    assert customers.lookup(CustomerRef(email="ada@example.com")) is not None
    assert customers.lookup(CustomerRef(id="C9")) is None


def test_static_knowledge_answers_a_scripted_phrase_and_records_queries_and_policies_by_intent() -> None:
    terms = PolicyQuote("terms", "Terms", "General terms apply.")
    knowledge = StaticKnowledge([RETURNS], {"track_order": [terms]}, answers={"ship": [SHIP]})

    assert knowledge.search("do you ship abroad", 3) == [SHIP]
    assert knowledge.search("returns", 3) == [RETURNS]
    assert knowledge.queries == [("do you ship abroad", 3), ("returns", 3)]
    assert knowledge.policies_for("track_order") == [terms]
    assert knowledge.policies_for(None) == []


def test_fixed_ranker_classifier_and_tone_model_record_what_they_read() -> None:
    ranker, classifier, tone = (
        FixedRanker([SHIP, RETURNS]),
        FixedClassifier("track_order", 0.7),
        FixedToneModel(0.8),
    )

    assert ranker.rank("parcel", 1) == [SHIP] and ranker.asked == [("parcel", 1)]
    assert classifier.predict("where is it") == ("track_order", 0.7) and classifier.seen == ["where is it"]
    assert tone.predict("late again") == ("negative", 0.8) and tone.seen == ["late again"]
    assert tone.probability_of("late again", "positive") == pytest.approx(0.1)
    assert FixedToneModel(0.3).predict("fine") == ("neutral", 0.7)


def test_fixed_matcher_matches_its_phrase_in_any_case_above_its_threshold() -> None:
    matcher = FixedMatcher("where is my parcel", "track_order")

    match = matcher.match("Where is my parcel?")

    assert match is not None and (match.intent, match.similarity) == ("track_order", 0.8)
    assert matcher.match("hello") is None
    assert FixedMatcher("parcel", "track_order", similarity=0.5).match("parcel") is None


def test_static_customers_can_be_down_or_stale_and_record_lookups() -> None:
    ada = Customer("C1", "Ada", "ada@example.com", status="active")
    customers = StaticCustomers([ada], stale=("status",))

    found = customers.lookup(CustomerRef(id="C1"))
    customers.down = "crm is down"

    assert found is not None and found.stale == ("status",)
    with pytest.raises(CustomerUnavailable, match="crm is down"):
        customers.lookup(CustomerRef(id="C1"))
    assert customers.lookups == [CustomerRef(id="C1"), CustomerRef(id="C1")]


def test_static_past_tickets_gives_up_to_the_limit() -> None:
    tickets = [PastTicket("t-2", "newer"), PastTicket("t-1", "older")]

    assert StaticPastTickets(tickets).past_tickets(CustomerRef(id="C1"), TicketId("t-3"), 1) == tickets[:1]


def test_listed_pii_finds_listed_and_known_values_keeping_the_longest() -> None:
    detector = ListedPii({"ada@example.com": "EMAIL_ADDRESS"})
    text = "I'm Ada Quill, mail ADA@example.com"

    spans = detector.find(text, known=("Ada Quill", "Ada"))

    assert [(s.type, s.text_in(text)) for s in spans] == [
        ("KNOWN", "Ada Quill"),
        ("EMAIL_ADDRESS", "ADA@example.com"),
    ]
    assert detector.entities == ("EMAIL_ADDRESS", "KNOWN")


def test_listed_masker_masks_each_value_once_and_unmasks_a_reply() -> None:
    masker = ListedMasker({"ada@example.com": "EMAIL_ADDRESS"})

    masked = masker.mask("Ada here: ada@example.com, again ada@example.com", known=("Ada",))

    assert masked.text == "<PERSON_1> here: <EMAIL_ADDRESS_1>, again <EMAIL_ADDRESS_1>"
    assert masked.types == ("PERSON", "EMAIL_ADDRESS")
    assert (
        masker.unmask("Hi <PERSON_1>, we wrote to <EMAIL_ADDRESS_1>", masked)
        == "Hi Ada, we wrote to ada@example.com"
    )
    assert masker.masked == ["Ada here: ada@example.com, again ada@example.com"]


def test_fixed_judge_polarity_and_check_answer_as_set() -> None:
    judge = FixedJudge(Judgement("fail", ("rude",)))

    assert judge.judge("q", "r", "f").problems == ("rude",) and judge.asked == [("q", "r", "f")]
    assert FixedPolarity(-0.4).polarity("anything") == -0.4
    result = FixedCheck("tone", Verdict.FAIL, ("tone broke",)).run(None)  # type: ignore[arg-type]
    assert (result.name, result.verdict, result.evidence) == ("tone", Verdict.FAIL, ("tone broke",))


def test_provider_batches_end_after_the_polls_and_hold_one_draft_per_custom_id() -> None:
    batches = ProviderBatches(ScriptedProvider(["first", "second", "retried"]), polls=1)

    batch_id = batches.submit_batch({"t1-1": _request(), "t2-1": _request()})

    assert [batches.batch_ended(batch_id), batches.batch_ended(batch_id)] == [False, True]
    assert {cid: d.reply for cid, d in batches.batch_results(batch_id).items()} == {
        "t1-1": "first",
        "t2-1": "second",
    }
    assert batches.retry(_request()).reply == "retried"
    assert list(batches.batches[batch_id]) == ["t1-1", "t2-1"]


def test_memory_batch_claims_never_claim_a_request_twice_and_resume_a_claimant() -> None:
    claims = MemoryBatchClaims()

    first = claims.claim("run-1", [("t1", 1, "wf-1")])
    second = claims.claim("run-2", [("t1", 1, "wf-1"), ("t2", 1, "wf-2")])
    claims.submitted("run-2", "batch_7")
    claims.settle("run-1", "in_doubt", "died")
    again = claims.claim("run-2", [("t3", 1, "wf-3")])

    assert [c.custom_id for c in first.claims] == ["t1-1"]
    assert [c.ticket_id for c in second.claims] == ["t2"]
    assert again.resumed and [(c.ticket_id, c.state, c.batch_id) for c in again.claims] == [
        ("t2", "submitted", "batch_7")
    ]
    found = claims.find("t1", 1)
    assert found is not None and (found.claimed_by, found.state) == ("run-1", "in_doubt")
    assert claims.find("t3", 1) is None
