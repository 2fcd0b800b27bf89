"""One PNG per report section, drawn with matplotlib's Agg canvas (no display, no global pyplot state).

matplotlib is the ``reports`` extra: without it, :func:`draw` raises a ``ConfigError`` that says how to
install it (a JSON report needs no plots).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ticketflow.errors import ConfigError
from ticketflow.evals.report import Report, Row, Section, Series

if TYPE_CHECKING:
    from matplotlib.axes import Axes

CURRENT = "#1f5f99"
PREVIOUS = "#b8c2cc"
DPI = 110


def _figure(panels: int, height: float = 3.6) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ConfigError("report plots need matplotlib: pip install 'ticketflow[reports]'") from exc
    figure = Figure(figsize=(9.6 if panels == 2 else 7.2, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _scale(unit: str) -> float:
    return 100.0 if unit == "rate" else 1.0


def _axis_label(unit: str) -> str:
    return {"rate": "%", "usd": "US$", "ms": "ms", "tokens": "tokens", "count": "tickets"}.get(unit, unit)


def _daily(axes: Axes, series: Series) -> None:
    scale = _scale(series.unit)

    def points(values: Sequence[float | None]) -> tuple[list[int], list[float]]:
        kept = [(i + 1, v * scale) for i, v in enumerate(values) if v is not None]
        return [d for d, _ in kept], [v for _, v in kept]

    axes.plot(
        *points(series.previous), color=PREVIOUS, linewidth=2, marker="o", markersize=3, label="previous"
    )
    axes.plot(
        *points(series.current), color=CURRENT, linewidth=2, marker="o", markersize=3, label="this period"
    )
    axes.set_title(series.label, fontsize=10)
    if series.days:
        step = max(1, len(series.days) // 8)
        ticks = list(range(1, len(series.days) + 1, step))
        axes.set_xticks(ticks, [series.days[t - 1] for t in ticks], fontsize=8)
    axes.set_xlabel("day (previous period drawn day for day)")
    axes.set_ylabel(_axis_label(series.unit))
    drawn = [*points(series.previous)[1], *points(series.current)[1]]
    floor = 5.0 if series.unit == "rate" else 1.0  # an all-zero line sits on the axis, not mid-air
    axes.set_ylim(0, max([*drawn, 0.0]) * 1.15 or floor)
    axes.grid(axis="y", alpha=0.3)
    _legend(axes)


def _legend(axes: Axes) -> None:
    """Below the plot, so it never hides a bar or a point."""
    axes.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2)


def _bars(axes: Axes, rows: Sequence[Row], title: str) -> None:
    unit = rows[0].unit
    scale = _scale(unit)
    labels = [r.label.split(": ", 1)[-1] for r in rows][::-1]
    now = [(r.trend.current or 0.0) * scale for r in rows][::-1]
    before = [(r.trend.previous or 0.0) * scale for r in rows][::-1]
    height = 0.38
    ys = range(len(rows))
    axes.barh([y - height / 2 for y in ys], before, height, color=PREVIOUS, label="previous")
    axes.barh([y + height / 2 for y in ys], now, height, color=CURRENT, label="this period")
    axes.set_yticks(list(ys), labels, fontsize=8)
    axes.set_xlabel(_axis_label(unit))
    axes.set_title(title, fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    _legend(axes)


def _estimates(axes: Axes, rows: Sequence[Row]) -> None:
    for index, row in enumerate(rows):
        if row.estimates is None or all(e.rate is None for e in row.estimates):
            axes.text(index, 50, "not graded", ha="center", va="center", color="grey", fontsize=9)
        for offset, which, color, label in (
            (-0.12, 1, PREVIOUS, "previous"),
            (0.12, 0, CURRENT, "this period"),
        ):
            estimate = row.estimates[which] if row.estimates else None
            if estimate is None or estimate.rate is None or estimate.low is None or estimate.high is None:
                continue
            rate = estimate.rate * 100
            error = [[rate - estimate.low * 100], [estimate.high * 100 - rate]]
            axes.errorbar(
                [index + offset], [rate], yerr=error, fmt="o", color=color, capsize=4,
                label=label if index == 0 else None,
            )  # fmt: skip
            axes.annotate(
                f"n={estimate.n}",
                (index + offset, rate),
                xytext=(6, 0),
                textcoords="offset points",
                fontsize=7,
            )
    axes.set_xticks(range(len(rows)), [r.label for r in rows])
    axes.set_xlim(-0.6, len(rows) - 0.4)
    axes.set_ylim(0, 105)
    axes.set_ylabel("% (95% Wilson interval)")
    axes.set_title("graded rates", fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        _legend(axes)
    else:
        axes.text(0.5, 0.5, "no grades yet", transform=axes.transAxes, ha="center", va="center", color="grey")


def _bar_rows(section: Section) -> list[Row]:
    wanted = set(section.bars)
    return [r for r in section.rows if r.label in wanted]


def section_png(section: Section) -> bytes:
    """The section's plot as PNG bytes: its daily line and its bars, side by side when it has both."""
    rows = _bar_rows(section)
    wanted = ("daily" if section.daily else None, "bars" if rows or section.id == "review" else None)
    panels = [p for p in wanted if p]
    figure = _figure(max(len(panels), 1), height=max(3.6, 1.6 + 0.22 * len(rows)))
    grid = figure.subplots(1, max(len(panels), 1), squeeze=False)[0]
    for axes, panel in zip(grid, panels or ["empty"], strict=True):
        if panel == "daily" and section.daily is not None:
            _daily(axes, section.daily)
        elif section.id == "review":
            _estimates(axes, section.rows)
        elif rows:
            _bars(axes, rows, section.title.split(" (")[0].lower())
        else:
            axes.text(0.5, 0.5, "nothing to draw", transform=axes.transAxes, ha="center", va="center")
            axes.set_axis_off()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def draw(report: Report) -> dict[str, bytes]:
    """Every section's plot, by section id."""
    return {section.id: section_png(section) for section in report.sections}
