"""What a huge request body costs the server: its memory before and after a chunked upload it must refuse.

::

    python -m benchmarks.body_limit [--mib 256] [--json]

Starts ``ticketflow serve`` on a fresh SQLite workspace, reads its resident memory (``/proc/<pid>/status``
VmRSS), sends ``--mib`` MiB as a chunked body (no ``Content-Length``) to ``POST /v1/messages`` with a valid
key, and reads the memory again. The body limit reads a chunked body no further than the limit, so the
figure should barely move; before the limit was enforced while streaming, 256 MiB took it from 516 to
900 MiB. Loopback only; the upload stops when the server answers.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from benchmarks._servers import (
    Proc,
    free_port,
    headers,
    make_backend,
    print_report,
    provision_api_key,
    server_env,
)

CHUNK = 64 * 1024


def rss_mib(pid: int) -> float:
    """The process's resident memory in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def body(mib: int) -> Iterator[bytes]:
    """A JSON-looking body of ``mib`` MiB, in 64 KiB chunks."""
    yield b'{"channel": "chat", "external_id": "huge", "customer": {"email": "a@b.c"}, "text": "'
    for _ in range(mib * 1024 * 1024 // CHUNK):
        yield b"x" * CHUNK
    yield b'"}'


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.body_limit", description=__doc__)
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    backend = make_backend("sqlite", None, "body")
    key = provision_api_key(backend, None)
    server = Proc("serve", "server", server_env(backend), backend.folder / "server.log", port=free_port())
    server.start()
    try:
        server.wait_ready(180, key)
        assert server.popen is not None
        pid = server.popen.pid
        before = rss_mib(pid)
        started = time.perf_counter()
        try:
            answer = httpx.post(
                f"{server.url}/v1/messages",
                content=body(args.mib),
                headers={**headers(key), "content-type": "application/json"},
                timeout=120,
            )
            status: int | str = answer.status_code
        except httpx.HTTPError as exc:  # the server may close the connection once it has refused
            status = type(exc).__name__
        elapsed = time.perf_counter() - started
        after = rss_mib(pid)
    finally:
        server.stop()
        backend.close()
    report = {
        "offered_mib": args.mib,
        "status": status,
        "rss_before_mib": round(before, 1),
        "rss_after_mib": round(after, 1),
        "seconds": round(elapsed, 2),
    }
    rows = [(k.replace("_", " "), v) for k, v in report.items()]
    print_report("chunked body over the limit", report, rows, args.json)


if __name__ == "__main__":
    main()
