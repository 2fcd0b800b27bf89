"""The dashboard's inline SVG: escaped text, a stated description, an axis that covers the data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ticketflow.console import charts
from ticketflow.storage.dashboard import p95

SVG = "{http://www.w3.org/2000/svg}"


def test_labels_and_names_are_escaped_and_the_chart_is_well_formed_svg() -> None:
    svg = charts.hbars("x", "Escalations <by> reason", {"<script>alert(1)</script>": 3}, "3 & more")
    assert "<script>" not in svg
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "x-t x-d"
    assert root.find(f"{SVG}title").text == "Escalations <by> reason"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "3 & more"  # type: ignore[union-attr]


def test_stacked_bars_draw_one_rect_per_nonzero_value_within_the_frame() -> None:
    svg = charts.stacked_bars("o", "t", ["a", "b"], {"sent": [3, 0], "review": [1, 2]}, "d")
    root = ET.fromstring(str(svg))
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 3
    assert all(0 <= float(r.get("y", "-1")) <= charts.HEIGHT for r in bars)


def test_a_line_with_gaps_draws_only_known_points() -> None:
    svg = charts.line("l", "t", ["a", "b", "c"], [0.5, None, 1.0], lambda v: f"{v:.0%}", "d")
    root = ET.fromstring(str(svg))
    assert len(list(root.iter(f"{SVG}circle"))) == 2 and len(list(root.iter(f"{SVG}polyline"))) == 2
    assert "no data yet" not in svg
    assert "no data yet" in charts.line("e", "t", ["a"], [None], str, "d")


def test_the_axis_top_is_a_round_number_at_or_above_the_largest_value() -> None:
    assert [charts._nice(v) for v in (0, 1, 3, 7, 10, 11, 0.004)] == [1.0, 1, 5, 10, 10, 20, 0.005]


def test_p95_is_the_nearest_rank() -> None:
    assert p95([]) is None and p95([5.0]) == 5.0
    assert p95([float(n) for n in range(1, 101)]) == 95.0
