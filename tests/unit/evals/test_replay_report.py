"""A replay's comparison from hand-made arm results: matrices, the changed-ticket list, and its renderings."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.domain.replay import StoredTicket
from ticketflow.errors import ConfigError
from ticketflow.evals.replay import ArmResult, Replayed, ReplayRun, choose
from ticketflow.evals.replay_render import to_json, to_markdown, write_replay
from ticketflow.evals.replay_report import ArmSetup, Comparison, compare

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
ARMS = (
    ArmSetup("A", (), "offline", "claude-sonnet-5-5", "ws"),
    ArmSetup("B", ("validation.max_words=20",), "offline", "claude-sonnet-5-5", "ws"),
)
SENT = ArmResult("auto", "sent", checks=(("length", "pass"),), input_tokens=1000, output_tokens=50,
                 cost_usd=0.002, model_calls=1)  # fmt: skip
LONG = ArmResult("auto", "review", "validation:length", checks=(("length", "fail"),), input_tokens=2000,
                 output_tokens=100, cost_usd=0.004, model_calls=2)  # fmt: skip
RULE = ArmResult("rule", "sent", "canned:x")
HUMAN = ArmResult("escalate", "escalated", "refund")


def stored(n: int, outcome: str) -> StoredTicket:
    message = InboundMessage("api", f"m{n}", CustomerRef(email="a@b.example"), "text", received_at=SINCE)
    ticket = Ticket(TicketId(f"t{n}"), ConversationId(f"c{n}"), message)
    return StoredTicket(ticket, None, outcome)


def comparison(pairs: list[tuple[ArmResult, ArmResult]]) -> Comparison:
    run = ReplayRun(tuple(Replayed(stored(n, a.outcome), a, b) for n, (a, b) in enumerate(pairs)))
    return compare(
        run, since=SINCE, until=SINCE + timedelta(days=7), generated_at=SINCE, arms=ARMS, resamples=500
    )


def figure(c: Comparison, label: str) -> dict[str, float]:
    (found,) = [f for f in c.figures if f.label == label]
    return {"a": found.a, "b": found.b, "diff": found.diff, "only_a": found.only_a or 0}


def test_the_changed_tickets_are_listed_with_what_changed() -> None:
    c = comparison([(SENT, LONG), (SENT, SENT), (RULE, RULE), (HUMAN, HUMAN)])

    assert [(t.ticket_id, t.changes) for t in c.changed] == [("t0", ("outcome", "check:length"))]
    assert figure(c, "automated (sent)") == {"a": 0.75, "b": 0.5, "diff": -0.25, "only_a": 1}
    assert figure(c, "length failed")["b"] == 0.25
    assert c.outcome_matrix.labels == ("sent", "review", "escalated")
    assert c.outcome_matrix.counts == ((2, 1, 0), (0, 0, 0), (0, 0, 1))
    assert c.route_matrix.changed == 0
    assert c.totals[1]["cost_usd"] == pytest.approx(c.totals[0]["cost_usd"] + 0.002)
    assert c.stored_agreement == 4


def test_a_check_that_passed_where_the_other_arm_drafted_nothing_is_no_change() -> None:
    failed = ArmResult("auto", "review", "validation:length", checks=(("length", "fail"), ("pii", "pass")))
    assert Replayed(stored(0, "sent"), SENT, HUMAN).changes() == ("route", "outcome")
    assert Replayed(stored(1, "review"), failed, HUMAN).changes() == ("route", "outcome", "check:length")
    assert Replayed(stored(2, "sent"), SENT, LONG).changes() == ("outcome", "check:length")


def test_identical_arms_change_nothing_and_every_interval_is_zero() -> None:
    c = comparison([(SENT, SENT), (RULE, RULE), (HUMAN, HUMAN)])
    assert c.changed == ()
    assert all(f.diff == 0 and f.low == 0 and f.high == 0 for f in c.figures)
    assert all(f.p_value == 1.0 for f in c.figures if f.unit == "rate")


def test_json_and_markdown_carry_the_figures_and_the_changed_tickets() -> None:
    c = comparison([(SENT, LONG), (SENT, SENT), (HUMAN, HUMAN)])

    data = json.loads(json.dumps(to_json(c)))
    assert data["tickets"] == {"matched": 3, "replayed": 3, "sample": "all"}
    assert data["arms"][1]["variants"] == ["validation.max_words=20"]
    assert data["statistics"]["resamples"] == 500
    assert data["changed"][0]["b"]["failed_checks"] == ["length"]
    sent = next(f for f in data["figures"] if f["label"] == "automated (sent)")
    assert sent["only_a"] == 1 and sent["interval"][0] <= sent["diff"] <= sent["interval"][1]
    md = to_markdown(c, {})
    assert "| automated (sent) | 66.7% | 33.3% | -33.3 pp |" in md
    assert "| t0 |" in md and "auto → review (validation:length)" in md


def test_html_inlines_every_plot_and_loads_nothing(tmp_path: Path) -> None:
    c = comparison([(SENT, LONG), (RULE, RULE), (HUMAN, SENT)])
    write_replay(c, "html", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert html.count('src="data:image/png;base64,') == 4
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    write_replay(c, "md", tmp_path / "r.md")
    assert sorted(p.name for p in tmp_path.glob("r-*.png")) == [
        "r-changes.png", "r-differences.png", "r-outcomes.png", "r-usage.png"
    ]  # fmt: skip


def test_without_matplotlib_plots_name_the_extra_and_json_still_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)
    c = comparison([(SENT, LONG)])
    with pytest.raises(ConfigError, match=r"pip install 'ticketflow\[reports\]'"):
        write_replay(c, "html", tmp_path / "r.html")
    assert write_replay(c, "json", None) is not None


def test_a_limit_keeps_arrival_order_and_a_seeded_draw_repeats() -> None:
    ids = [TicketId(f"t{i}") for i in range(10)]
    drawn = choose(ids, limit=4, sample="random", seed=3)
    assert drawn == choose(ids, limit=4, sample="random", seed=3)
    assert drawn == sorted(drawn, key=ids.index) and len(set(drawn)) == 4
    assert choose(ids, limit=3, sample="first", seed=0) == ids[:3]
    assert choose(ids, limit=3, sample="last", seed=0) == ids[-3:]
    assert choose(ids, limit=None, sample="random", seed=0) == ids
