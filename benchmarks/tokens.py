"""How far the offline token estimate is from a real tokenizer, on the contexts the demo builds.

No Claude 3+ tokenizer is available offline (counts come from the API's ``count_tokens`` or a call's usage).
The nearest is the legacy Claude tokenizer that old releases of the ``anthropic`` SDK shipped as
``anthropic/tokenizer.json``; this script reads such a file with the ``tokenizers`` package (neither is a
ticketflow dependency)::

    pip download --no-deps anthropic==0.34.2 && unzip -j anthropic-0.34.2-*.whl anthropic/tokenizer.json
    pip install tokenizers       # into any environment on PYTHONPATH
    python -m benchmarks.tokens tokenizer.json

It prints the estimate's signed error (estimate - reference) / reference over the rendered contexts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ticketflow.domain.decision import Route
from ticketflow.domain.tokens import estimate_tokens
from ticketflow.evals.metrics import percentile
from ticketflow.evals.records import read_records, ticket_from_record
from ticketflow.wiring.engine import Engine

WORKSPACE = Path(__file__).resolve().parents[1] / "examples" / "store"


def main(tokenizer_json: str) -> None:
    from tokenizers import Tokenizer  # type: ignore[import-not-found]

    reference = Tokenizer.from_file(tokenizer_json)
    engine = Engine.from_workspace(WORKSPACE, with_store=False)
    pipeline = engine.pipeline
    texts = []
    for record in read_records(WORKSPACE / "examples.jsonl"):
        ticket = ticket_from_record(record)
        decision = pipeline.router.run(ticket)
        if decision.route is Route.AUTO:
            texts.append(pipeline.context.run(ticket, decision).rendered)
    texts.append(pipeline.generator.system_prompt)
    errors = []
    for text in texts:
        real = len(reference.encode(text).ids)
        errors.append((estimate_tokens(text) - real) / real * 100)
    over = sum(1 for e in errors if e >= 0)
    print(
        f"{len(texts)} texts (contexts + the system prompt): estimate vs reference, signed error %:"
        f" mean {sum(errors) / len(errors):+.1f}, p5 {percentile(errors, 5):+.1f},"
        f" p50 {percentile(errors, 50):+.1f}, p95 {percentile(errors, 95):+.1f},"
        f" min {min(errors):+.1f}, max {max(errors):+.1f}; over-estimates {over}/{len(errors)}"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m benchmarks.tokens PATH/TO/tokenizer.json")
    main(sys.argv[1])
