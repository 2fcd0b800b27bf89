"""Routing: decide before any model call whether a rule answers, the model drafts, or a human acts."""

from __future__ import annotations

from ticketflow.domain.decision import Decision, Route, Trigger
from ticketflow.domain.message import Ticket
from ticketflow.domain.rules import RuleBook
from ticketflow.pipeline.injection import injection_evidence
from ticketflow.pipeline.tone import ToneReading, score_tone
from ticketflow.ports.knowledge import IntentClassifier

UNSURE = "unsure"
TONE = "tone"


class Router:
    """Rules first, then the classifier; every decision names what fired and why.

    Order of precedence: tone and pattern triggers (they hold whatever the intent), then the intent's own
    escalation reason, then low confidence (``unsure``), then a canned answer, else the model drafts.
    """

    def __init__(
        self,
        rules: RuleBook,
        classifier: IntentClassifier | None,
        *,
        unsure_threshold: float = 0.35,
        tone_threshold: float | None = None,
        tone_model: IntentClassifier | None = None,
    ) -> None:
        self._rules = rules
        self._classifier = classifier
        self._unsure = unsure_threshold
        self.tone_threshold = tone_threshold if tone_threshold is not None else rules.tone.threshold
        self._tone_model = tone_model

    def run(self, ticket: Ticket) -> Decision:
        text = ticket.text
        intent, confidence = self._classifier.predict(text) if self._classifier else (None, 0.0)
        tone = score_tone(text, self._rules.tone)
        if self._tone_model is not None and "negative" in self._tone_model.labels:
            label, p = self._tone_model.predict(text)
            if label == "negative" and p > tone.score:
                tone = ToneReading(round(p, 4), (*tone.evidence, f"tone model: negative {p:.2f}"))
        suspicious = injection_evidence(text)
        triggers: list[Trigger] = []
        if tone.score >= self.tone_threshold:
            triggers.append(Trigger("tone", TONE, ", ".join(tone.evidence)))
        for trigger in self._rules.triggers:
            evidence = trigger.match(text)
            if evidence is not None:
                triggers.append(Trigger(trigger.id, trigger.reason, evidence))
        if intent is not None and intent in self._rules.escalate_intents and confidence >= self._unsure:
            triggers.insert(
                1 if triggers and triggers[0].id == "tone" else 0,
                Trigger(
                    f"intent:{intent}", self._rules.escalate_intents[intent], f"{intent} ({confidence:.2f})"
                ),
            )
        if suspicious:
            triggers.append(Trigger("injection", "injection", suspicious))

        reasons = tuple(dict.fromkeys(t.reason for t in triggers if t.reason != "injection"))
        common = {
            "intent": intent,
            "confidence": round(confidence, 4),
            "triggers": tuple(triggers),
            "tone": tone.score,
            "injection": suspicious is not None,
        }
        if reasons:
            return Decision(Route.ESCALATE, reasons=reasons, **common)  # type: ignore[arg-type]
        if intent is None or confidence < self._unsure:
            evidence = f"{intent} ({confidence:.2f} < {self._unsure})"
            unsure = (*triggers, Trigger(UNSURE, UNSURE, evidence))
            return Decision(Route.ESCALATE, reasons=(UNSURE,), **{**common, "triggers": unsure})  # type: ignore[arg-type]
        canned = self._rules.canned.get(intent)
        if canned is not None:
            return Decision(Route.RULE, rule_id=f"canned:{intent}", canned_answer=canned.answer, **common)  # type: ignore[arg-type]
        return Decision(Route.AUTO, **common)  # type: ignore[arg-type]
