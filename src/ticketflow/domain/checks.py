"""Validation results: each check says pass, warn or fail, with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ticketflow.domain.draft import Usage


class Verdict(StrEnum):
    """A check's verdict: a ``fail`` is never sent as it is; a ``warn`` is sent and kept in the ledger."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict on a draft, with the evidence a reviewer (and the one regeneration) is shown."""

    name: str
    verdict: Verdict
    evidence: tuple[str, ...] = field(default=())
    usage: tuple[Usage, ...] = field(default=(), metadata={"json": False})
    """Model calls the check made (the model judge); in the ledger, so left out of the check's JSON."""

    @property
    def failed(self) -> bool:
        """Whether the verdict is ``fail``; a warning is not a failure."""
        return self.verdict is Verdict.FAIL


def failures(results: tuple[CheckResult, ...]) -> tuple[CheckResult, ...]:
    """The failed results, in their order; the ones that only warned are left out."""
    return tuple(r for r in results if r.failed)
