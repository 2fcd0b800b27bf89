"""Rate limits shared by every process (``storage.throttles``), on SQLite and PostgreSQL: a bucket refills
at its rate up to its burst, racing takes never hand out more than the bucket holds, keys are stored
hashed, and a second process sees the first one's takes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from ticketflow.api.throttle import SharedRateLimit
from ticketflow.storage import throttles as module
from ticketflow.storage.db import create_engine, migrate
from ticketflow.storage.tables import throttles
from ticketflow.storage.throttles import SqlThrottles


@dataclass
class Clock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    built = create_engine(database_url)
    migrate(built)
    yield built
    built.dispose()


def test_a_bucket_lets_a_burst_through_then_refills_at_its_rate(engine: sa.Engine) -> None:
    clock = Clock()
    limit = SharedRateLimit(SqlThrottles(engine, clock), "sign-in:account", per_minute=1, burst=3)
    assert [limit.wait_for("ann") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limit.wait_for("ann") == pytest.approx(60.0)
    assert limit.wait_for("bob") == 0.0, "another caller has its own bucket"
    clock.now += 30
    assert limit.wait_for("ann") == pytest.approx(30.0), "half a token back after half a minute"
    clock.now += 30
    assert limit.wait_for("ann") == 0.0 and limit.wait_for("ann") > 0
    clock.now += 3600
    assert [limit.wait_for("ann") for _ in range(4)][-1] > 0, "refills to the burst, never beyond"


def test_limits_of_different_names_do_not_share_buckets(engine: sa.Engine) -> None:
    store = SqlThrottles(engine, Clock())
    account = SharedRateLimit(store, "sign-in:account", per_minute=1, burst=1)
    address = SharedRateLimit(store, "sign-in:address", per_minute=1, burst=1)
    assert account.wait_for("10.0.0.1") == 0.0 and address.wait_for("10.0.0.1") == 0.0
    assert account.wait_for("10.0.0.1") > 0 and address.wait_for("10.0.0.1") > 0


def test_the_table_holds_no_username_or_address(engine: sa.Engine) -> None:
    SharedRateLimit(SqlThrottles(engine), "sign-in:address", per_minute=6).wait_for("203.0.113.7")
    with engine.connect() as conn:
        rows = [tuple(map(str, row)) for row in conn.execute(sa.select(throttles))]
    assert len(rows) == 1 and not any("203.0.113.7" in value for value in rows[0])


def test_racing_threads_get_no_more_than_the_burst(engine: sa.Engine) -> None:
    limit = SharedRateLimit(SqlThrottles(engine, Clock()), "feedback:address", per_minute=1, burst=5)
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda _: limit.wait_for("198.51.100.2"), range(40)))
    assert waits.count(0.0) == 5


def _take_in_another_process(url: str, caller: str, out: multiprocessing.Queue[float]) -> None:
    engine = create_engine(url)
    out.put(SqlThrottles(engine).take("sign-in:account", caller, 1 / 60, 2.0))
    engine.dispose()


def test_a_second_process_sees_the_first_ones_takes(engine: sa.Engine, database_url: str) -> None:
    # two serve processes on one database: the account's attempts are counted once, not per process
    here = SqlThrottles(engine)
    assert here.take("sign-in:account", "ann", 1 / 60, 2.0) == 0.0
    assert here.take("sign-in:account", "ann", 1 / 60, 2.0) == 0.0
    out: multiprocessing.Queue[float] = multiprocessing.get_context("spawn").Queue()
    other = multiprocessing.get_context("spawn").Process(
        target=_take_in_another_process, args=(database_url, "ann", out)
    )
    other.start()
    other.join(60)
    assert other.exitcode == 0
    assert out.get(timeout=5) > 0, "the other process found ann's bucket empty"


def test_idle_full_buckets_are_swept(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "PRUNE_EVERY", 3)
    clock = Clock()
    store = SqlThrottles(engine, clock)
    store.take("feedback:address", "a", 1.0, 2.0)
    store.take("sign-in:account", "b", 1 / 3600, 2.0)  # refills over two hours: kept
    clock.now += 10  # "a" is full again after 2 s
    store.take("feedback:address", "c", 1.0, 2.0)  # the third take sweeps
    with engine.connect() as conn:
        names = sorted(conn.execute(sa.select(throttles.c.name)).scalars())
    assert names == ["feedback:address", "sign-in:account"], "a's full bucket is gone, c's and b's stay"
