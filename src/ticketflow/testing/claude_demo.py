"""The demo through the real Anthropic SDK, against the fake Anthropic API on a loopback port.

::

    python -m ticketflow.testing.claude_demo [--workspace DIR] [--json]

This shows the production path (structured outputs, prompt caching, the ledger of every HTTP attempt)
without a key or a network. The fake is started here, in the testing package, and reached the way a real
deployment reaches a gateway: through ``ANTHROPIC_BASE_URL`` and ``ANTHROPIC_API_KEY``. Production code
knows nothing of it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console

from ticketflow.demo import run_demo
from ticketflow.evals.render import render_demo
from ticketflow.testing.fake_anthropic import FakeAnthropic, support_responder
from ticketflow.testing.server import serve

FAKE_KEY = "fake-anthropic-key"


def main(argv: list[str] | None = None) -> int:
    """Start the fake API, run the demo with ``provider = "anthropic"`` against it, print the report."""
    parser = argparse.ArgumentParser(prog="python -m ticketflow.testing.claude_demo", description=__doc__)
    parser.add_argument("--workspace", "-w", type=Path, default=Path("examples/store"))
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    args = parser.parse_args(argv)
    fake = FakeAnthropic(responder=support_responder)
    with serve(fake.app) as server:
        os.environ["ANTHROPIC_BASE_URL"] = str(server.url)
        os.environ["ANTHROPIC_API_KEY"] = FAKE_KEY
        report = run_demo(args.workspace, console=Console(stderr=True), provider="anthropic")
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        render_demo(report, Console())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
