"""Heavy libraries load when first used: not for ``--help``, not on import, and never Claude's SDK offline.

Each check runs in a fresh interpreter (this one has imported everything already). How long start-up takes
is printed by ``benchmarks/startup.py``; these tests only say what is loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ticketflow
from support import STORE

HEAVY = ("anthropic", "presidio_analyzer", "spacy", "sklearn", "scipy", "bm25s", "Stemmer", "joblib")
HEAVY += ("vaderSentiment", "httpx2", "torch", "sentence_transformers", "transformers", "uvicorn")
HEAVY += ("numpy", "httpx")  # small beside the rest, but every process that builds an engine would pay them
_REPORT = f"""
import atexit, sys
atexit.register(lambda: print("LOADED", *[m for m in {HEAVY!r} if m in sys.modules]))
"""


def _loaded(code: str, tmp_path: Path) -> set[str]:
    """The heavy modules loaded by the time ``code`` has run in a fresh interpreter."""
    src = str(Path(ticketflow.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    env["TICKETFLOW_DATA_DIR"] = str(tmp_path / "var")
    for name in ("ANTHROPIC_API_KEY", "TICKETFLOW_PROVIDER", "TICKETFLOW_DATABASE_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", f"{_REPORT}\n{code}"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("LOADED")]
    return set(line.split()[1:])


def test_help_loads_no_heavy_library(tmp_path: Path) -> None:
    code = """
import runpy
sys.argv = ["ticketflow", "--help"]
try:
    runpy.run_module("ticketflow.cli", run_name="__main__")
except SystemExit:
    pass
"""

    assert _loaded(code, tmp_path) == set()


def test_importing_the_engine_loads_no_heavy_library(tmp_path: Path) -> None:
    assert _loaded("import ticketflow.wiring.engine", tmp_path) == set()


def test_the_offline_engine_never_loads_the_anthropic_sdk(tmp_path: Path) -> None:
    code = f"""
from ticketflow.evals.records import ticket_from_record
from ticketflow.wiring.engine import Engine
engine = Engine.from_workspace({str(STORE)!r}, with_store=False)
for record in engine.workspace.examples[:5]:
    engine.process(ticket_from_record(record))
"""

    loaded = _loaded(code, tmp_path)

    assert "sklearn" in loaded  # routing did run, with what it needs
    assert "anthropic" not in loaded
    # the SDK's HTTP client; huggingface_hub needs it too, and Presidio imports transformers (and with it
    # huggingface_hub) whenever the embeddings extra has installed it
    if "transformers" not in loaded:
        assert "httpx2" not in loaded
