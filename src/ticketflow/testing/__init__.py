"""Fakes for every port, for tests of ticketflow and of code built on it; production code never imports it."""

from ticketflow.testing.fakes import MemoryOutbox, ScriptedProvider, StaticCustomers, StaticKnowledge

__all__ = ["MemoryOutbox", "ScriptedProvider", "StaticCustomers", "StaticKnowledge"]
