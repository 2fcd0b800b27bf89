"""Validation results: each check says pass, warn or fail, with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    verdict: Verdict
    evidence: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> bool:
        return self.verdict is Verdict.FAIL


def failures(results: tuple[CheckResult, ...]) -> tuple[CheckResult, ...]:
    return tuple(r for r in results if r.failed)
