"""What a sign-in's password check costs: argon2id verification with argon2-cffi's defaults.

::

    python -m benchmarks.password_hash [--n 10]

The console verifies a password once per sign-in attempt (an unknown username against a decoy hash, so
both cost the same), in a worker thread. This is the price of a slow hash: it is what a stolen hash costs
an attacker per guess, and what the sign-in throttle bounds per account and per address.
"""

from __future__ import annotations

import argparse
import statistics
import time

from argon2 import PasswordHasher


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.password_hash", description=__doc__)
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()
    hasher = PasswordHasher()
    stored = hasher.hash("a long enough password")
    times = []
    for _ in range(args.n):
        started = time.perf_counter()
        hasher.verify(stored, "a long enough password")
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"argon2id verify (time_cost={hasher.time_cost}, memory={hasher.memory_cost // 1024} MiB, "
        f"parallelism={hasher.parallelism}): median {statistics.median(times):.0f} ms, "
        f"max {max(times):.0f} ms over {args.n}"
    )


if __name__ == "__main__":
    main()
