"""The in-memory store keeps the store contract, so tests that use it see what the SQL store would do."""

from __future__ import annotations

import pytest

from store_contract import StoreContract
from ticketflow.testing.store import MemoryStore


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> MemoryStore:
        return MemoryStore()
