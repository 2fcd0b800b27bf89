"""Routing: decide before any model call whether a rule answers, the model drafts, or a human acts."""

from __future__ import annotations

from typing import Any

from ticketflow.domain.decision import Decision, Route, Trigger
from ticketflow.domain.message import Ticket
from ticketflow.domain.rules import RuleBook
from ticketflow.pipeline.routing.injection import injection_finding
from ticketflow.pipeline.routing.tone import NEGATIVE, NEUTRAL, ToneReading, cue_text, score_tone
from ticketflow.ports.knowledge import AnswerMatcher, IntentClassifier, ToneModel
from ticketflow.ports.sentiment import SentimentLexicon

UNSURE = "unsure"
TONE = "tone"
CANNED = "canned"
INJECTION = "injection"


class Router:
    """Rules first, then the classifier; every decision names what fired and why.

    Escalation holds whatever else matches: the intent's own escalation reason (listed first: it is what
    the person must act on), then tone, then pattern triggers. Then low confidence (``unsure``), unless a
    canned answer's example phrasing is a close enough match; then the intent's canned answer; else the
    model drafts. Injection suspicion is recorded as a trigger but is not an escalation reason: it hardens
    generation and validation instead.
    """

    def __init__(
        self,
        rules: RuleBook,
        classifier: IntentClassifier | None,
        *,
        unsure_threshold: float = 0.35,
        tone_threshold: float | None = None,
        tone_model: ToneModel | None = None,
        negative_threshold: float | None = None,
        lexicon: SentimentLexicon | None = None,
        matcher: AnswerMatcher | None = None,
    ) -> None:
        self._rules = rules
        self._classifier = classifier
        self.unsure_threshold = unsure_threshold
        self.tone_threshold = tone_threshold if tone_threshold is not None else rules.tone.threshold
        self._tone_model = tone_model if tone_model is not None and NEGATIVE in tone_model.labels else None
        self.negative_threshold = negative_threshold
        self._lexicon = lexicon
        self._matcher = matcher

    def _sentiment(self, text: str, tone: ToneReading) -> str:
        if self._tone_model is None:
            return tone.sentiment
        cued = cue_text(text, tone)
        if self.negative_threshold is not None:
            if self._tone_model.probability_of(cued, NEGATIVE) >= self.negative_threshold:
                return NEGATIVE
            label, _ = self._tone_model.predict(cued)
            return NEUTRAL if label == NEGATIVE else label
        return self._tone_model.predict(cued)[0]

    def _out_of_hours(self, ticket: Ticket) -> bool | None:
        hours, arrived = self._rules.business_hours, ticket.message.received_at
        return None if hours is None or arrived is None else not hours.is_open(arrived)

    def run(self, ticket: Ticket) -> Decision:
        text = ticket.text
        intent, confidence = self._classifier.predict(text) if self._classifier else (None, 0.0)
        sure = intent is not None and confidence >= self.unsure_threshold
        tone = score_tone(text, self._rules.tone, self._lexicon)
        triggers: list[Trigger] = []
        if sure and intent in self._rules.escalate_intents:
            reason = self._rules.escalate_intents[str(intent)]
            triggers.append(Trigger(f"intent:{intent}", reason, f"{intent} ({confidence:.2f})"))
        if tone.score >= self.tone_threshold:
            triggers.append(Trigger(TONE, TONE, ", ".join(tone.evidence)))
        for trigger in self._rules.triggers:
            evidence = trigger.match(text)
            if evidence is not None:
                triggers.append(Trigger(trigger.id, trigger.reason, evidence))
        finding = injection_finding(text)
        if finding is not None:
            triggers.append(Trigger(INJECTION, INJECTION, f"{finding[0]}: {finding[1]}"))

        reasons = tuple(dict.fromkeys(t.reason for t in triggers if t.reason != INJECTION))
        common: dict[str, Any] = {
            "intent": intent,
            "confidence": round(confidence, 4),
            "triggers": tuple(triggers),
            "tone": tone.score,
            "injection": finding is not None,
            "sentiment": self._sentiment(text, tone),
            "out_of_hours": self._out_of_hours(ticket),
        }
        if reasons:
            return Decision(Route.ESCALATE, reasons=reasons, **common)
        if not sure:
            match = self._matcher.match(text) if self._matcher is not None else None
            canned = self._rules.canned.get(match.intent) if match is not None else None
            if match is not None and canned is not None:
                evidence = (
                    f"nearest example {match.example!r} ({match.similarity:.2f} >= {self._matcher.threshold})"  # type: ignore[union-attr]
                )
                fired = (*triggers, Trigger(f"{CANNED}:{match.intent}", CANNED, evidence))
                return Decision(
                    Route.RULE,
                    rule_id=f"{CANNED}:{match.intent}",
                    canned_answer=canned.answer,
                    **{**common, "intent": match.intent, "triggers": fired},
                )
            evidence = f"{intent} ({confidence:.2f} < {self.unsure_threshold})"
            unsure = (*triggers, Trigger(UNSURE, UNSURE, evidence))
            return Decision(Route.ESCALATE, reasons=(UNSURE,), **{**common, "triggers": unsure})
        canned = self._rules.canned.get(str(intent))
        if canned is not None:
            fired = (*triggers, Trigger(f"{CANNED}:{intent}", CANNED, f"{intent} ({confidence:.2f})"))
            return Decision(
                Route.RULE,
                rule_id=f"{CANNED}:{intent}",
                canned_answer=canned.answer,
                **{**common, "triggers": fired},
            )
        return Decision(Route.AUTO, **common)
