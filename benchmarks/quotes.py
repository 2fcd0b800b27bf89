"""How well quote stripping finds the new text of a reply, per language, on chains we wrote ourselves.

Reads ``tests/data/reply_chains.jsonl`` (a reply as the customer's client sends it, the new text a person
would read, and the lines of the earlier message it quotes) and prints, per language and overall:

- ``exact``: the share of chains whose stripped text equals the expected new text (whitespace normalised);
- ``no quote``: the share whose stripped text keeps none of the quoted lines;
- the same two for mail-parser-reply alone (``EmailReplyParser(languages=...).read(text).replies[0].body``),
  to show what the channel's repairs add.

Run: ``PYTHONPATH=src python -m benchmarks.quotes`` (``--show`` prints every miss). Figures, not asserts.
``--chains tests/data/reply_chains_fresh.jsonl`` measures the chains written after the repairs instead
(never used to change them: the figure for shapes the repairs were not made for).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from mailparser_reply import EmailReplyParser

from ticketflow.channels.email.parse import LANGUAGES, strip_quotes

CHAINS = Path(__file__).resolve().parents[1] / "tests" / "data" / "reply_chains.jsonl"


def normalised(text: str) -> str:
    return " ".join(text.split())


def library_alone(text: str) -> str:
    replies = EmailReplyParser(languages=list(LANGUAGES)).read(text).replies
    return (replies[0].body if replies else "") or text


def score(chain: dict[str, Any], got: str) -> tuple[bool, bool]:
    same = normalised(got) == normalised(chain["expected"])
    no_quote = not any(normalised(old) in normalised(got) for old in chain["quoted"])
    return same, no_quote


def main(show: bool = False, chains: Path = CHAINS) -> None:
    rows: dict[str, list[tuple[bool, bool, bool, bool]]] = defaultdict(list)
    for line in chains.read_text(encoding="utf-8").splitlines():
        chain = json.loads(line)
        got = strip_quotes(chain["text"])
        ours, theirs = score(chain, got), score(chain, library_alone(chain["text"]))
        rows[chain["lang"]].append((*ours, *theirs))
        if show and not all(ours):
            print(f"--- {chain['id']} ({chain['style']}): got\n{got}\n")
    print(f"{'':<17} {'channel':>17}  {'library alone':>17}")
    print(f"{'language':<10} {'chains':>6} {'exact':>8} {'no quote':>9} {'exact':>8} {'no quote':>9}")
    everything = [row for lang_rows in rows.values() for row in lang_rows]
    for lang, lang_rows in [*rows.items(), ("overall", everything)]:
        n = len(lang_rows)
        shares = [sum(row[i] for row in lang_rows) / n for i in range(4)]
        print(
            f"{lang:<10} {n:>6} "
            + " ".join(f"{s:>8.0%}" if i % 2 == 0 else f"{s:>9.0%}" for i, s in enumerate(shares))
        )


if __name__ == "__main__":
    arguments = sys.argv[1:]
    path = Path(arguments[arguments.index("--chains") + 1]) if "--chains" in arguments else CHAINS
    main(show="--show" in arguments, chains=path)
