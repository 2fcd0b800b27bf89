"""Fakes for every port, for tests of ticketflow and of code built on it; production code never imports it.

One module per port family: ``providers`` (:class:`ScriptedProvider`), ``knowledge`` (the index, a ranker,
the intent, tone and canned-answer models), ``customers``, ``privacy``, ``judge``, ``sentiment``,
``checks``, ``batch``, ``store`` (:class:`MemoryStore`, every store port) and ``fake_channel``
(:class:`MemoryChannel`); plus :class:`ManualClock` for code that reads a clock, the fake Anthropic and
OpenAI-compatible servers (``fake_anthropic``, ``fake_openai``) and ``server.serve`` to run them.
Each fake records what it was asked, so a test can assert on the calls as well as on the result.
"""

from ticketflow.testing.batch import MemoryBatchClaims, ProviderBatches
from ticketflow.testing.checks import FixedCheck
from ticketflow.testing.clock import ManualClock
from ticketflow.testing.customers import StaticCustomers, StaticPastTickets
from ticketflow.testing.fake_channel import MemoryChannel
from ticketflow.testing.judge import FixedJudge
from ticketflow.testing.knowledge import (
    FixedClassifier,
    FixedMatcher,
    FixedRanker,
    FixedToneModel,
    StaticKnowledge,
)
from ticketflow.testing.privacy import ListedMasker, ListedPii
from ticketflow.testing.providers import ScriptedProvider
from ticketflow.testing.sentiment import FixedPolarity
from ticketflow.testing.store import MemoryStore

__all__ = [
    "FixedCheck",
    "FixedClassifier",
    "FixedJudge",
    "FixedMatcher",
    "FixedPolarity",
    "FixedRanker",
    "FixedToneModel",
    "ListedMasker",
    "ListedPii",
    "ManualClock",
    "MemoryBatchClaims",
    "MemoryChannel",
    "MemoryStore",
    "ProviderBatches",
    "ScriptedProvider",
    "StaticCustomers",
    "StaticKnowledge",
    "StaticPastTickets",
]
