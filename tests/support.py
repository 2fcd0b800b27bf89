"""Paths and helpers shared by tests (importable as ``support``: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "examples" / "store"
DATASETS = ROOT.parent / "shared" / "datasets"
PG_URL = os.environ.get("TICKETFLOW_TEST_DATABASE_URL")


def dataset(relative: str) -> Path:
    """A shared dataset file, or skip the test with a clear reason when the folder is absent."""
    path = DATASETS / relative
    if not path.exists():
        pytest.skip(f"shared dataset {relative} is not available at {DATASETS}")
    return path
