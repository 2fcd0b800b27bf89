"""Validation results: each check says pass, warn or fail, with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ticketflow.domain.draft import Usage


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    verdict: Verdict
    evidence: tuple[str, ...] = field(default=())
    usage: tuple[Usage, ...] = field(default=(), metadata={"json": False})
    """Model calls the check made (the model judge); in the ledger, so left out of the check's JSON."""

    @property
    def failed(self) -> bool:
        return self.verdict is Verdict.FAIL


def failures(results: tuple[CheckResult, ...]) -> tuple[CheckResult, ...]:
    return tuple(r for r in results if r.failed)
