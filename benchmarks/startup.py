"""Start-up figures: how long a user waits before ticketflow does anything.

Each figure is the median of a few runs, each in a fresh Python process (a warm process would have every
library imported already, which is what we measure). Engine builds and ``serve`` use one data folder that a
first, uncounted build has filled (trained routing models, the stored search index), as on any start after
the first; the first build itself is printed apart. Timings are wall-clock on a shared machine: run twice
and compare, do not assert.

Run alone with ``python -m benchmarks.startup`` (``--runs N``); ``python -m benchmarks`` runs it last.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "examples" / "store"
HEAVY = (
    "anthropic",
    "presidio_analyzer",
    "spacy",
    "sklearn",
    "scipy",
    "bm25s",
    "Stemmer",
    "joblib",
    "vaderSentiment",
    "httpx2",
    "torch",
    "sentence_transformers",
    "uvicorn",
    "numpy",
    "httpx",
)
"""Libraries that should load only when first used; the import figure lists any that loaded anyway."""

_IMPORT = f"""
import sys, time
started = time.perf_counter()
import ticketflow.wiring.engine
print(time.perf_counter() - started)
print(",".join(m for m in {HEAVY!r} if m in sys.modules))
"""
_BUILD = """
import sys, time
from ticketflow.wiring.engine import Engine
started = time.perf_counter()
engine = Engine.from_workspace(sys.argv[1])
built = time.perf_counter() - started
from ticketflow.evals.records import message_from_record
message = message_from_record(engine.workspace.examples[int(sys.argv[2])])
started = time.perf_counter()
engine.handle(message)
print(built)
print(time.perf_counter() - started)
engine.close()
"""


def _env(data_dir: Path | None) -> dict[str, str]:
    env = {**os.environ, "TICKETFLOW_LOG_LEVEL": "WARNING"}
    for name in ("TICKETFLOW_DATABASE_URL", "TICKETFLOW_SYSTEM_DATABASE_URL", "ANTHROPIC_API_KEY"):
        env.pop(name, None)  # the embedded defaults, offline, as on a laptop
    if data_dir is not None:
        env["TICKETFLOW_DATA_DIR"] = str(data_dir)
    return env


def _python(code: str, *args: str, data_dir: Path | None = None) -> list[str]:
    """Run ``code`` in a fresh interpreter; its stdout lines."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=_env(data_dir), capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(f"a benchmark process failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout.split("\n")


def _help_s() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ticketflow.cli", "--help"],
        env=_env(None),
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _serve_s(data_dir: Path, ceiling_s: float = 180.0) -> float:
    """Seconds from ``ticketflow serve`` starting to its first 200 on ``/healthz``."""
    port = _free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "ticketflow.cli", "serve", "--port", str(port), "--workspace", str(WORKSPACE)],
        env=_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        while not _healthy(f"http://127.0.0.1:{port}/healthz"):
            if server.poll() is not None:
                raise RuntimeError(f"ticketflow serve exited with {server.returncode} before answering")
            if time.perf_counter() - started > ceiling_s:
                raise RuntimeError(f"ticketflow serve did not answer /healthz within {ceiling_s:.0f} s")
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def _median(name: str, target: str, runs: Sequence[float], note: str = "") -> None:
    spread = f"{min(runs):.2f}-{max(runs):.2f}"
    print(
        f"{name:<44} median {statistics.median(runs):5.2f} s  (n={len(runs)}, {spread})"
        f"  target {target}{note}"
    )


def _repeat(fn: Callable[[], float], runs: int) -> list[float]:
    return [fn() for _ in range(runs)]


def main(runs: int = 5) -> None:
    """Print the four start-up figures (and the first build and first ticket that laziness moves)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"start-up, {runs} fresh processes each, load average {load:.1f} at the start")
    _median("ticketflow --help", "<= 0.5 s", _repeat(_help_s, runs))
    imported = [_python(_IMPORT) for _ in range(runs)]
    loaded = sorted({m for lines in imported for m in lines[1].split(",") if m})
    _median(
        "import ticketflow.wiring.engine",
        "<= 1.5 s",
        [float(lines[0]) for lines in imported],
        f"; heavy libraries loaded: {', '.join(loaded) or 'none'}",
    )
    with tempfile.TemporaryDirectory(prefix="tf-startup-") as folder:
        data_dir = Path(folder)
        # each run handles another example, so none is a duplicate of a message already stored
        first = _python(_BUILD, str(WORKSPACE), "0", data_dir=data_dir)
        builds = [_python(_BUILD, str(WORKSPACE), str(n + 1), data_dir=data_dir) for n in range(runs)]
        _median("engine build, examples/store (cached models)", "<= 2 s", [float(b[0]) for b in builds])
        _median("ticketflow serve until /healthz answers", "<= 5 s", _repeat(lambda: _serve_s(data_dir), 3))
        print(
            f"  first build in an empty data folder (trains the routing models): {float(first[0]):.2f} s;"
            f" first ticket after a build (loads what routing, context and validation use):"
            f" median {statistics.median(float(b[1]) for b in builds):.2f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure (serve: 3)")
    main(parser.parse_args().runs)
