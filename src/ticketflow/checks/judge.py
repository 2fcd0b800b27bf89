"""The model judge: tone and coherence, asked only when the deterministic checks are inconclusive.

Deterministic checks are cheap and decide most drafts. When one of them is inconclusive (a ``warn``
verdict, or a failure its policy only warns about), a model (``models.validation``) reads the draft and
says whether its tone and coherence hold. The judge's calls are returned with its result, so they are
ledgered like any other model call. Off by default (``[judge] enabled``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.ports.check import Check, CheckInput
from ticketflow.ports.judge import JudgeModel
from ticketflow.ports.pii import PiiMasker


class ModelJudge:
    """The ``judge`` check: ask ``model`` about tone and coherence when a deterministic check is inconclusive.

    Inconclusive is a ``warn``, or a failure that ``policy`` only warns about; the ``deterministic`` checks
    are run again here to find out, so a conclusive draft costs no model call. With ``masker`` the texts are
    masked before they leave. A judge with no usable answer gives a warning, never a pass.
    """

    name = "judge"

    def __init__(
        self,
        model: JudgeModel,
        deterministic: Sequence[Check],
        *,
        policy: Mapping[str, str] | None = None,
        masker: PiiMasker | None = None,
    ) -> None:
        self._model = model
        self._checks = tuple(deterministic)
        self._policy = dict(policy or {})
        self._masker = masker
        """Personal data is replaced by placeholders before the judge's prompt leaves."""

    def _inconclusive(self, subject: CheckInput) -> list[str]:
        names = []
        for check in self._checks:
            result = check.run(subject)
            warned = result.failed and self._policy.get(check.name) == "warn"
            if result.verdict is Verdict.WARN or warned:
                names.append(check.name)
        return names

    def run(self, subject: CheckInput) -> CheckResult:
        draft = subject.draft
        if draft.action != "reply" or not draft.reply.strip():
            return CheckResult(self.name, Verdict.PASS, ("no reply to judge",))
        unsure = self._inconclusive(subject)
        if not unsure:
            return CheckResult(self.name, Verdict.PASS, ("deterministic checks conclusive: judge not asked",))
        texts = [subject.ticket.text, draft.reply, subject.context.grounding_text()]
        if self._masker is not None:
            texts = [self._masker.mask(t).text for t in texts]
        judgement = self._model.judge(*texts, ticket_id=subject.ticket.id)
        asked = f"asked because {', '.join(unsure)} warned"
        if judgement.verdict is None:
            return CheckResult(
                self.name, Verdict.WARN, (asked, "no usable answer from the judge"), judgement.usage
            )
        if judgement.verdict == "fail":
            return CheckResult(self.name, Verdict.FAIL, (asked, *judgement.problems), judgement.usage)
        return CheckResult(self.name, Verdict.PASS, (asked,), judgement.usage)
