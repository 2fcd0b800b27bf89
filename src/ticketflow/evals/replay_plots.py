"""A replay's plots, drawn with matplotlib's Agg canvas: outcome and route shares per arm, the paired
differences with their intervals, the A→B change matrices, and cost and tokens per ticket per arm.

matplotlib is the ``reports`` extra: without it, :func:`draw` raises a ``ConfigError`` that says how to
install it (a JSON replay report needs no plots).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from ticketflow.errors import ConfigError
from ticketflow.evals.replay_report import Comparison, Matrix

if TYPE_CHECKING:
    from matplotlib.axes import Axes

ARM_A = "#b8c2cc"
ARM_B = "#1f5f99"
DPI = 110


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ConfigError("replay plots need matplotlib: pip install 'ticketflow[reports]'") from exc
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _legend(axes: Axes) -> None:
    axes.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)


def _shares(axes: Axes, comparison: Comparison, group: str, title: str) -> None:
    figures = comparison.group(group)
    labels = [f.label for f in figures][::-1]
    ys = range(len(figures))
    height = 0.38
    a = [f.a * 100 for f in figures][::-1]
    b = [f.b * 100 for f in figures][::-1]
    axes.barh([y + height / 2 for y in ys], a, height, color=ARM_A, label="A (as configured)")
    axes.barh([y - height / 2 for y in ys], b, height, color=ARM_B, label="B (variant)")
    axes.set_yticks(list(ys), labels, fontsize=8)
    axes.set_xlabel("% of replayed tickets")
    axes.set_xlim(0, 100)
    axes.set_title(title, fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    _legend(axes)


def outcomes_png(comparison: Comparison) -> bytes:
    """Outcome shares and route shares, arm A beside arm B."""
    rows = max(len(comparison.group("outcomes")), len(comparison.group("routes")))
    figure = _figure(9.6, max(3.4, 1.7 + 0.3 * rows))
    left, right = figure.subplots(1, 2)
    _shares(left, comparison, "outcomes", "outcomes")
    _shares(right, comparison, "routes", "routes")
    return _png(figure)


def differences_png(comparison: Comparison) -> bytes:
    """Every rate's paired difference B − A in percentage points, with its bootstrap interval."""
    shown = [f for f in comparison.figures if f.unit == "rate" and (f.a or f.b)]
    figure = _figure(7.2, max(3.0, 1.3 + 0.26 * len(shown)))
    axes = figure.subplots()
    for y, f in enumerate(reversed(shown)):
        color = ARM_B if f.clear(comparison.level) else "#7a8590"
        error = [[(f.diff - f.low) * 100], [(f.high - f.diff) * 100]]
        axes.errorbar([f.diff * 100], [y], xerr=error, fmt="o", color=color, capsize=3)
    axes.axvline(0, color="#56606b", linewidth=1)
    axes.set_yticks(range(len(shown)), [f.label for f in reversed(shown)], fontsize=8)
    axes.set_xlabel(f"B − A, percentage points ({comparison.level:.0%} paired bootstrap interval)")
    axes.set_title("paired differences (blue: the interval excludes 0 and McNemar agrees)", fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    if not shown:
        axes.text(0.5, 0.5, "no rate to draw", transform=axes.transAxes, ha="center", va="center")
    return _png(figure)


def _heatmap(axes: Axes, matrix: Matrix, title: str) -> None:
    counts = [list(row) for row in matrix.counts]
    axes.imshow(counts, cmap="Blues", aspect="auto")
    ticks = range(len(matrix.labels))
    axes.set_xticks(list(ticks), matrix.labels, fontsize=8, rotation=30, ha="right")
    axes.set_yticks(list(ticks), matrix.labels, fontsize=8)
    peak = max((c for row in counts for c in row), default=0)
    for i, row in enumerate(counts):
        for j, count in enumerate(row):
            color = "white" if peak and count > peak / 2 else "#1d2733"
            axes.text(j, i, str(count), ha="center", va="center", fontsize=9, color=color)
    axes.set_xlabel("arm B")
    axes.set_ylabel("arm A")
    axes.set_title(f"{title}: {matrix.changed} changed", fontsize=10)


def changes_png(comparison: Comparison) -> bytes:
    """The route and outcome change matrices (arm A's value in rows, arm B's in columns)."""
    figure = _figure(9.6, 4.0)
    left, right = figure.subplots(1, 2)
    _heatmap(left, comparison.route_matrix, "route A → B")
    _heatmap(right, comparison.outcome_matrix, "outcome A → B")
    return _png(figure)


def usage_png(comparison: Comparison) -> bytes:
    """Projected cost and prompt tokens per ticket, one box per arm."""
    figure = _figure(9.6, 3.6)
    panels = figure.subplots(1, 2)
    for axes, (name, title, scale) in zip(
        panels,
        (
            ("cost_usd", "cost per ticket (US$ × 1000)", 1000.0),
            ("input_tokens", "input tokens per ticket", 1.0),
        ),
        strict=True,
    ):
        a, b = comparison.per_ticket.get(name, ((), ()))
        boxes = axes.boxplot(
            [[v * scale for v in a], [v * scale for v in b]], patch_artist=True, widths=0.5, showmeans=True
        )
        for patch, color in zip(boxes["boxes"], (ARM_A, ARM_B), strict=True):
            patch.set_facecolor(color)
        axes.set_xticks([1, 2], ["A", "B"])
        axes.set_title(title, fontsize=10)
        axes.grid(axis="y", alpha=0.3)
    return _png(figure)


PLOTS = {
    "outcomes": outcomes_png,
    "differences": differences_png,
    "changes": changes_png,
    "usage": usage_png,
}
"""The replay report's plots, by the id the HTML and Markdown refer to them by."""


def draw(comparison: Comparison) -> dict[str, bytes]:
    """Every plot of the replay report, as PNG bytes by id."""
    return {name: plot(comparison) for name, plot in PLOTS.items()}
