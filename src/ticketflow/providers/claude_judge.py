"""The model judge on Claude (``models.validation``, Haiku by default): tone and coherence of a draft.

One structured call per judged draft, through :meth:`AnthropicProvider.structured`, so every attempt is a
ledger row like any other call (purpose ``judge``), journaled for the judged ticket before it is sent.
"""

from __future__ import annotations

from typing import Any

from ticketflow.domain.ids import TicketId
from ticketflow.ports.judge import Judgement
from ticketflow.providers.anthropic import AnthropicProvider

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "tone_ok": {"type": "boolean"},
        "coherent": {"type": "boolean"},
        "problems": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["tone_ok", "coherent", "problems"],
    "additionalProperties": False,
}

JUDGE_SYSTEM = """You review a customer-support reply before it is sent. Judge two things only:
- tone_ok: polite, calm and respectful; acknowledges a frustrated customer; no blame, sarcasm or slang.
- coherent: answers the customer's question, consistent with itself and with the FACTS, no contradictions.
List each problem in one short sentence in "problems" (empty when there is none). Answer with JSON only."""

FACTS_CHARS = 6000


class ClaudeJudge:
    """``JudgeModel`` on a Claude provider built with :data:`JUDGE_SCHEMA` and purpose ``judge``."""

    def __init__(self, provider: AnthropicProvider, max_output_tokens: int = 200) -> None:
        self.provider = provider
        self._max_output = max_output_tokens

    def judge(self, question: str, reply: str, facts: str, *, ticket_id: TicketId | None = None) -> Judgement:
        prompt = f"CUSTOMER MESSAGE:\n{question}\n\nFACTS:\n{facts[:FACTS_CHARS]}\n\nREPLY TO JUDGE:\n{reply}"
        value, usage = self.provider.structured(JUDGE_SYSTEM, prompt, self._max_output, ticket_id=ticket_id)
        if value is None:
            return Judgement(None, (), usage)
        ok = bool(value["tone_ok"]) and bool(value["coherent"])
        problems = tuple(str(p) for p in value["problems"])
        if not ok and not problems:
            problems = ("the judge found the tone or coherence lacking",)
        return Judgement("pass" if ok else "fail", problems, usage)
