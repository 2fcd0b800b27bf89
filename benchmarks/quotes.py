"""How well quote stripping finds the new text of a reply, per language, on chains we wrote ourselves.

Reads ``tests/data/reply_chains.jsonl`` (a reply as the customer's client sends it, the new text a person
would read, and the lines of the earlier message it quotes) and prints, per language and overall:

- ``exact``: the share of chains whose stripped text equals the expected new text (whitespace normalised);
- ``no quote``: the share whose stripped text keeps none of the quoted lines.

Run: ``PYTHONPATH=src python -m benchmarks.quotes`` (``--show`` prints every miss). Figures, not asserts.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from ticketflow.channels.email.parse import strip_quotes

CHAINS = Path(__file__).resolve().parents[1] / "tests" / "data" / "reply_chains.jsonl"


def normalised(text: str) -> str:
    return " ".join(text.split())


def main(show: bool = False) -> None:
    exact: dict[str, list[bool]] = defaultdict(list)
    clean: dict[str, list[bool]] = defaultdict(list)
    for line in CHAINS.read_text(encoding="utf-8").splitlines():
        chain = json.loads(line)
        got = strip_quotes(chain["text"])
        same = normalised(got) == normalised(chain["expected"])
        no_quote = not any(normalised(old) in normalised(got) for old in chain["quoted"])
        exact[chain["lang"]].append(same)
        clean[chain["lang"]].append(no_quote)
        if show and not (same and no_quote):
            print(f"--- {chain['id']} ({chain['style']}): got\n{got}\n")
    print(f"{'language':<10} {'chains':>6} {'exact':>7} {'no quote':>9}")
    for lang in exact:
        n = len(exact[lang])
        print(f"{lang:<10} {n:>6} {sum(exact[lang]) / n:>7.0%} {sum(clean[lang]) / n:>9.0%}")
    every = [s for v in exact.values() for s in v]
    kept = [s for v in clean.values() for s in v]
    print(f"{'overall':<10} {len(every):>6} {sum(every) / len(every):>7.0%} {sum(kept) / len(kept):>9.0%}")


if __name__ == "__main__":
    main(show="--show" in sys.argv[1:])
