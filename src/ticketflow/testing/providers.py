"""A fake ``Provider``: drafts (or failures) read from a script, so a test decides what the model says."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from ticketflow.domain.draft import Draft
from ticketflow.errors import ProviderError
from ticketflow.ports.provider import GenerationRequest


class ScriptedProvider:
    """A ``Provider`` that answers call *n* with the script's *n*-th entry and remembers every request.

    An entry is a draft (a string is a plain reply) or an exception, which the call raises, so
    ``ScriptedProvider([ProviderError("overloaded"), "Hi!"])`` fails once and then answers. Each draft
    carries the request's attempt, as every provider's does; a call past the end of the script raises
    ``ProviderError``, so a test that asks for more drafts than it scripted fails loudly.
    """

    name = "scripted"

    def __init__(self, script: Iterable[Draft | str | Exception]) -> None:
        self._script = [Draft(entry) if isinstance(entry, str) else entry for entry in script]
        self.requests: list[GenerationRequest] = []

    def generate(self, request: GenerationRequest) -> Draft:
        self.requests.append(request)
        if len(self.requests) > len(self._script):
            raise ProviderError(
                f"the script has {len(self._script)} draft(s); call {len(self.requests)} has none"
            )
        entry = self._script[len(self.requests) - 1]
        if isinstance(entry, Exception):
            raise entry
        return dataclasses.replace(entry, attempt=request.attempt)
