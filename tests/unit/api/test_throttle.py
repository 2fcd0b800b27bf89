"""The per-caller rate limit and the backlog bound, on a clock the test moves."""

from __future__ import annotations

from ticketflow.api.throttle import Backlog, RateLimit, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_caller_gets_its_burst_then_waits_while_another_caller_is_unaffected() -> None:
    clock = Clock()
    limit = RateLimit(60, clock=clock)  # one a second, bursts of 10
    assert [limit.wait_for("a") for _ in range(10)] == [0.0] * 10
    wait = limit.wait_for("a")
    assert 0.9 < wait <= 1.0 and retry_after(wait) == "1"
    assert limit.wait_for("b") == 0.0
    clock.now += 1.0
    assert limit.wait_for("a") == 0.0


def test_the_backlog_is_full_at_its_limit_and_counted_at_most_once_a_second() -> None:
    clock = Clock()
    depth = {"n": 4, "reads": 0}

    def count() -> int:
        depth["reads"] += 1
        return depth["n"]

    backlog = Backlog(5, count, clock=clock)
    assert not backlog.full()
    depth["n"] = 5
    assert not backlog.full() and depth["reads"] == 1  # the cached count, within the second
    clock.now += 1.0
    assert backlog.full() and depth["reads"] == 2
