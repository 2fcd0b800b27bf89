"""What keeps a stopped process alive: every workflow thread, daemon or not, and any other non-daemon one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from ticketflow.runtime.service import EXECUTOR_THREADS, cut_off_threads


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_a_workflow_thread_started_by_a_daemon_counts_though_a_daemon(release: threading.Event) -> None:
    # A prefix of its own: other tests' workflow threads may still be alive in this process.
    prefix = f"{EXECUTOR_THREADS}cut-off-test"
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=prefix)
    submitter = threading.Thread(target=pool.submit, args=(release.wait,), daemon=True)
    submitter.start()
    submitter.join()
    [worker] = [t for t in threading.enumerate() if t.name.startswith(prefix)]

    assert worker.daemon, "it inherits the submitting thread's flag, as under DBOS's queue thread"
    assert worker in cut_off_threads(), "concurrent.futures joins it at exit all the same"
    release.set()
    pool.shutdown(wait=True)
    assert worker not in cut_off_threads()


def test_other_daemons_do_not_count_and_other_threads_do(release: threading.Event) -> None:
    daemon = threading.Thread(target=release.wait, daemon=True, name="some-daemon")
    plain = threading.Thread(target=release.wait, name="some-thread")
    daemon.start()
    plain.start()

    found = cut_off_threads()
    assert plain in found and daemon not in found
    release.set()
    plain.join()
