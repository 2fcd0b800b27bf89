"""The model judge: asked only when deterministic checks are inconclusive; its calls come with its result."""

from __future__ import annotations

from ticketflow.checks.judge import ModelJudge
from ticketflow.domain.checks import Verdict
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.draft import Draft, Usage
from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.ports.check import CheckInput
from ticketflow.ports.judge import Judgement
from ticketflow.testing import FixedCheck, FixedJudge

CALL = Usage("claude-haiku-5-5", 300, 40, 0.00005, purpose="judge")


def _subject(reply: str = "Your parcel ships tomorrow.", action: str = "reply") -> CheckInput:
    message = InboundMessage("chat", "m-1", CustomerRef(email="a@example.com"), "Where is my parcel?")
    ticket = Ticket(TicketId("t_1"), ConversationId("c_1"), message)
    context = ContextPack(None, (), (), (), "KNOWLEDGE: ships in 1 day", 10)
    draft = Draft(reply, action="reply" if action == "reply" else "escalate")
    return CheckInput(ticket, Decision(Route.AUTO, "track_order", 0.9), context, draft)


def test_the_judge_is_not_asked_when_the_deterministic_checks_are_conclusive() -> None:
    model = FixedJudge(Judgement("fail", ("rude",), (CALL,)))
    result = ModelJudge(model, [FixedCheck("tone", Verdict.PASS), FixedCheck("length", Verdict.FAIL)]).run(
        _subject()
    )
    assert result.verdict is Verdict.PASS and result.usage == ()
    assert model.asked == []


def test_a_warning_asks_the_judge_and_its_failure_blocks_with_its_reasons_and_calls() -> None:
    model = FixedJudge(Judgement("fail", ("the reply does not answer the question",), (CALL,)))
    result = ModelJudge(model, [FixedCheck("length", Verdict.WARN)]).run(_subject())
    assert result.verdict is Verdict.FAIL
    assert "the reply does not answer the question" in result.evidence
    assert result.usage == (CALL,)
    assert model.asked[0][:2] == ("Where is my parcel?", "Your parcel ships tomorrow.")


def test_a_failure_the_policy_only_warns_about_is_inconclusive_too() -> None:
    model = FixedJudge(Judgement("pass", (), (CALL,)))
    judge = ModelJudge(model, [FixedCheck("escalation", Verdict.FAIL)], policy={"escalation": "warn"})
    result = judge.run(_subject())
    assert result.verdict is Verdict.PASS and result.usage == (CALL,) and len(model.asked) == 1


def test_no_usable_answer_is_a_warning_and_still_ledgered() -> None:
    result = ModelJudge(FixedJudge(Judgement(None, (), (CALL,))), [FixedCheck("tone", Verdict.WARN)]).run(
        _subject()
    )
    assert result.verdict is Verdict.WARN and result.usage == (CALL,)


def test_an_escalation_has_no_reply_to_judge() -> None:
    model = FixedJudge(Judgement("fail", (), (CALL,)))
    result = ModelJudge(model, [FixedCheck("tone", Verdict.WARN)]).run(_subject("", action="escalate"))
    assert result.verdict is Verdict.PASS and model.asked == []
