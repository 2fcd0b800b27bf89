"""Routing: decide before any model call whether a rule answers, the model drafts, or a human acts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ticketflow.domain.asking import asks_anything, only_thanks
from ticketflow.domain.decision import Decision, Route, Trigger
from ticketflow.domain.message import Ticket
from ticketflow.domain.rules import RuleBook
from ticketflow.domain.tokens import estimate_tokens
from ticketflow.pipeline.routing.injection import injection_finding
from ticketflow.pipeline.routing.tone import NEGATIVE, NEUTRAL, ToneReading, cue_text, score_tone
from ticketflow.ports.knowledge import (
    AnswerMatcher,
    IntentClassifier,
    LanguageDetector,
    ScopeModel,
    ToneModel,
)
from ticketflow.ports.sentiment import SentimentLexicon

UNSURE = "unsure"
TONE = "tone"
CANNED = "canned"
INJECTION = "injection"
LANGUAGE = "language"
DECLINE = "decline"
OUT_OF_SCOPE = "out_of_scope"
THANKS = "thanks"
VENTING = "venting"
UNFAMILIAR = "unfamiliar"
RISK = "risk"
LOW_RISK = "low_risk"
TOO_LONG = "too_long"


@dataclasses.dataclass(frozen=True)
class Risk:
    """The probability each escalating intent holds for one message (``held``), and their reasons."""

    held: Mapping[str, float]
    reasons: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.held.values())

    @property
    def reason(self) -> str:
        """The escalation reason whose intents hold the most."""
        by_reason: dict[str, float] = {}
        for intent, p in self.held.items():
            by_reason[self.reasons[intent]] = by_reason.get(self.reasons[intent], 0.0) + p
        return max(by_reason, key=by_reason.__getitem__)

    def evidence(self, cut: float) -> str:
        top = sorted(self.held.items(), key=lambda item: -item[1])[:3]
        parts = ", ".join(f"{intent} {p:.2f}" for intent, p in top if p >= 0.005)
        return f"escalating intents hold {self.total:.2f} >= {cut} ({parts})"


class Router:
    """Rules first, then the classifier; every decision names what fired and why.

    Escalation holds whatever else matches: the intent's own escalation reason (listed first: it is what
    the person must act on), then tone, then pattern triggers. Then low confidence (``unsure``), unless a
    canned answer's example phrasing is a close enough match; then the intent's canned answer; else the
    model drafts. Injection suspicion is recorded as a trigger but is not an escalation reason: it hardens
    generation and validation instead.

    Out of scope and chatter (``chatter``: intent to its configured response, or None for a handoff) come
    after escalation: a confident ``out_of_scope`` or ``thanks`` gets its short response (route
    ``decline``), never a retrieved passage; so does a message that ``scope`` finds far from every
    example the workspace was taught (an airline's tweet to a home-goods store), whatever its intent,
    and a canned answer is not sent to ``venting`` (negative sentiment, no question or request anywhere),
    which gets its own entry instead (a handoff by default). A message that ``familiarity`` finds
    unfamiliar to the intent model (its words may be ours, but no intent fits) goes to a person as
    ``unsure``, with no canned answer: on a workspace's own customers, such messages are mostly the
    model's confident misroutes.
    A message longer than ``max_message_tokens`` goes to a person at once (reason ``too_long``), read by
    nothing else: a pasted log or a 100,000-character body is no question a reply can answer, would cost
    tens of thousands of prompt tokens, and every later stage's work grows with it.
    A message in a language the workspace does not serve (``languages``) goes to the model when it can
    write that language (``any_language``), else to a person with reason ``language``; canned answers
    and declines are written in the served languages.

    The intent model's top guess is not the only way it can see risk: when the intents that escalate hold
    together at least ``risk_mass`` of its probability (another intent on top), the ticket escalates with
    the reason holding most of it (trigger ``risk``). It is a soft sign, so it comes after a sure decline
    (an out-of-scope question spreads its probability over every intent, the escalating ones too).
    ``draft_unsure_below`` (off by default) lets a low-confidence ticket whose escalating intents hold less
    than it be drafted from the knowledge base, with no intent named, instead of handed off: validation
    still judges the draft.
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
        chatter: Mapping[str, str | None] | None = None,
        language: LanguageDetector | None = None,
        languages: tuple[str, ...] = ("en",),
        any_language: bool = False,
        scope: ScopeModel | None = None,
        familiarity: ScopeModel | None = None,
        risk_mass: float | None = None,
        draft_unsure_below: float | None = None,
        max_message_tokens: int | None = None,
    ) -> None:
        self._rules = rules
        self.max_message_tokens = max_message_tokens
        self._classifier = classifier
        self.unsure_threshold = unsure_threshold
        self.tone_threshold = tone_threshold if tone_threshold is not None else rules.tone.threshold
        self._tone_model = tone_model if tone_model is not None and NEGATIVE in tone_model.labels else None
        self.negative_threshold = negative_threshold
        self._lexicon = lexicon
        self._matcher = matcher
        self._chatter = dict(chatter or {})
        self._language = language
        self.languages = languages
        self.any_language = any_language
        self._scope = scope
        self._familiarity = familiarity
        self.risk_mass = risk_mass
        self.draft_unsure_below = draft_unsure_below

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

    def _foreign(self, text: str) -> str | None:
        """The message's language when detection is sure of it, else None."""
        return self._language.detect(text) if self._language is not None else None

    def run(self, ticket: Ticket) -> Decision:
        decision = self._too_long(ticket) or self._route(ticket)
        if (
            decision.route is Route.RULE
            and VENTING in self._chatter
            and decision.sentiment == NEGATIVE
            and not asks_anything(ticket.text)
        ):  # upset and asking nothing: an approved answer to a question answers nothing here
            fired = Trigger(
                VENTING, VENTING, f"negative sentiment, no question or request ({decision.rule_id})"
            )
            kept = {f.name for f in dataclasses.fields(Decision)} - {
                "route",
                "reasons",
                "rule_id",
                "canned_answer",
            }
            common = {name: getattr(decision, name) for name in kept}
            return self._decline(VENTING, [*decision.triggers, fired], common)
        return decision

    def _too_long(self, ticket: Ticket) -> Decision | None:
        """A handoff, unread, for a message past ``max_message_tokens``; else None."""
        tokens = estimate_tokens(ticket.text)
        if self.max_message_tokens is None or tokens <= self.max_message_tokens:
            return None
        evidence = f"about {tokens} tokens > max_message_tokens {self.max_message_tokens}"
        return Decision(
            Route.ESCALATE,
            intent=None,
            confidence=0.0,
            reasons=(TOO_LONG,),
            triggers=(Trigger(TOO_LONG, TOO_LONG, evidence),),
            sentiment=NEUTRAL,
            out_of_hours=self._out_of_hours(ticket),
        )

    def _route(self, ticket: Ticket) -> Decision:
        text = ticket.text
        language = self._foreign(text)
        intent, confidence, risk = self._read_intent(text)
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
            "language": language,
        }
        if reasons:
            return Decision(Route.ESCALATE, reasons=reasons, **common)
        elsewhere = self._elsewhere(text, intent if sure else None, risk, triggers, common)
        if elsewhere is not None:
            return elsewhere
        unfamiliar = self._unfamiliar(text, f"{intent} {confidence:.2f}")
        if unfamiliar is not None or not sure:
            evidence = unfamiliar or f"{intent} ({confidence:.2f} < {self.unsure_threshold})"
            if self.draft_unsure_below is not None and risk.total < self.draft_unsure_below:
                return self._low_risk(evidence, risk, triggers, common)
            if unfamiliar is not None:  # no canned answer: such messages are mostly confident misroutes
                fired = (*triggers, Trigger(f"scope:{UNFAMILIAR}", UNSURE, unfamiliar))
                return Decision(Route.ESCALATE, reasons=(UNSURE,), **{**common, "triggers": fired})
            return self._unsure(text, evidence, triggers, common)
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

    def _elsewhere(
        self, text: str, sure: str | None, risk: Risk, triggers: list[Trigger], common: dict[str, Any]
    ) -> Decision | None:
        """Another language, a decline, or the escalating intents' mass (a soft sign, so after a sure
        decline: an out-of-scope question spreads its probability over every intent); else None."""
        cut = self.risk_mass
        reached = cut if cut is not None and risk.total >= cut else None  # the cut, when the mass reaches it
        language = common["language"]
        foreign = language is not None and language not in self.languages
        # in another language a person reads it, or the model writes it unless the mass says a person must
        if foreign and not (reached is not None and self.any_language):
            return self._other_language(language, triggers, common)
        declined = None if foreign else self._out_of_scope(text, sure, triggers, common)
        if declined is not None:
            return declined
        if reached is not None:
            fired = (*triggers, Trigger(RISK, risk.reason, risk.evidence(reached)))
            return Decision(Route.ESCALATE, reasons=(risk.reason,), **{**common, "triggers": fired})
        return None

    def _read_intent(self, text: str) -> tuple[str | None, float, Risk]:
        """The top intent, its probability, and the probability the escalating intents hold together."""
        if self._classifier is None:
            return None, 0.0, Risk({})
        intent, confidence = self._classifier.predict(text)
        if self.risk_mass is None and self.draft_unsure_below is None:
            return intent, confidence, Risk({})
        probabilities = self._classifier.probabilities(text)  # both models keep their last reading
        escalating = self._rules.escalate_intents
        held = {
            label: float(p)
            for label, p in zip(self._classifier.labels, probabilities, strict=True)
            if label in escalating
        }
        return intent, confidence, Risk(held, escalating)

    def _low_risk(
        self, evidence: str, risk: Risk, triggers: list[Trigger], common: dict[str, Any]
    ) -> Decision:
        """Unsure, and unlikely to need a person: drafted from the knowledge base with no intent named."""
        why = f"{evidence}; escalating intents hold {risk.total:.2f} < {self.draft_unsure_below}"
        fired = (*triggers, Trigger(f"{UNSURE}:{LOW_RISK}", LOW_RISK, why))
        return Decision(Route.AUTO, **{**common, "intent": None, "triggers": fired})

    def _other_language(self, language: str, triggers: list[Trigger], common: dict[str, Any]) -> Decision:
        """A language the workspace does not serve: the model writes it if it can, else a person."""
        evidence = f"{language} not in served languages {list(self.languages)}"
        if self.any_language:
            fired = (*triggers, Trigger(LANGUAGE, "reply_in_language", evidence))
            return Decision(Route.AUTO, **{**common, "triggers": fired})
        fired = (*triggers, Trigger(LANGUAGE, LANGUAGE, evidence))
        return Decision(Route.ESCALATE, reasons=(LANGUAGE,), **{**common, "triggers": fired})

    def _unsure(self, text: str, evidence: str, triggers: list[Trigger], common: dict[str, Any]) -> Decision:
        """No sure intent: the nearest canned example's answer; with no intent model at all (a workspace
        without labelled tickets), the knowledge base; else a person (``unsure``)."""
        match = self._matcher.match(text) if self._matcher is not None else None
        canned = self._rules.canned.get(match.intent) if match is not None else None
        if match is not None and canned is not None:
            nearest = (
                f"nearest example {match.example!r} ({match.similarity:.2f} >= {self._matcher.threshold})"  # type: ignore[union-attr]
            )
            fired = (*triggers, Trigger(f"{CANNED}:{match.intent}", CANNED, nearest))
            return Decision(
                Route.RULE,
                rule_id=f"{CANNED}:{match.intent}",
                canned_answer=canned.answer,
                **{**common, "intent": match.intent, "triggers": fired},
            )
        if self._classifier is None:
            # answer from the knowledge base: the drafter hands off when nothing answers, validation checks
            # the rest, and the hard triggers have already escalated what must go to a person
            return Decision(Route.AUTO, **common)
        unsure = (*triggers, Trigger(UNSURE, UNSURE, evidence))
        return Decision(Route.ESCALATE, reasons=(UNSURE,), **{**common, "triggers": unsure})

    def _unfamiliar(self, text: str, guess: str) -> str | None:
        """Why the intent model finds ``text`` unfamiliar (whatever its confidence), or None if not."""
        model = self._familiarity
        score = model.far(text) if model is not None else None
        if model is None or score is None:
            return None
        return f"{model.measure} {score:.2f} < {model.cut:.2f} ({guess})"

    def _out_of_scope(
        self, text: str, intent: str | None, triggers: list[Trigger], common: dict[str, Any]
    ) -> Decision | None:
        """A sure chatter intent's response; a message of thanks alone, ``thanks``'s (whether or not the
        intent model was taught thanks: a workspace without labels has none); or, far from every example,
        out_of_scope's; else None."""
        if intent is not None and intent in self._chatter:
            return self._decline(intent, triggers, common)
        if THANKS in self._chatter and only_thanks(text):
            fired = Trigger(f"chatter:{THANKS}", THANKS, "thanks and courtesy only, nothing asked")
            return self._decline(THANKS, [*triggers, fired], common)
        if self._scope is None or OUT_OF_SCOPE not in self._chatter:
            return None
        far = self._scope.far(text)
        if far is None:
            return None
        # nothing the workspace was taught is near it, whatever the intent model says
        guess = f"{common['intent']} {common['confidence']:.2f}"
        evidence = f"{self._scope.measure} {far:.2f} < {self._scope.cut:.2f} ({guess})"
        return self._decline(OUT_OF_SCOPE, [*triggers, Trigger("scope:far", OUT_OF_SCOPE, evidence)], common)

    def _decline(self, intent: str, triggers: list[Trigger], common: dict[str, Any]) -> Decision:
        """Out of scope or chatter: the configured response, or a handoff when it has none."""
        response = self._chatter[intent]
        evidence = f"{intent} ({common['confidence']:.2f})"
        seen = common if intent == VENTING else {**common, "intent": intent}  # venting keeps its intent
        if response is None:
            fired = (*triggers, Trigger(f"{DECLINE}:{intent}", intent, evidence))
            return Decision(Route.ESCALATE, reasons=(intent,), **{**seen, "triggers": fired})
        fired = (*triggers, Trigger(f"{DECLINE}:{intent}", DECLINE, evidence))
        return Decision(
            Route.DECLINE,
            rule_id=f"{DECLINE}:{intent}",
            canned_answer=response,
            **{**seen, "triggers": fired},
        )
