"""Charts as inline SVG, drawn on the server: no script, no chart library, readable by screen readers.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that states the figures in words;
the dashboard also shows every chart's numbers in a table beside it. Text is escaped by ``markupsafe``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 36
PALETTE = ("#1f6f43", "#c98a00", "#8a1c1c", "#3b4a8f", "#6b6b6b", "#7a3e8f")
"""Colours that stay apart for the common colour-vision deficiencies, and legends name every series."""


def _frame(chart_id: str, title: str, desc: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _axis(top: float, fmt: Callable[[float], str]) -> str:
    inner = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - inner * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{escape(fmt(value))}</text>'
        )
    return "".join(parts)


def _labels(labels: Sequence[str], step: float) -> str:
    every = max(1, len(labels) // 7)
    return "".join(
        f'<text x="{LEFT + step * (i + 0.5):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
        f'class="tick">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % every == 0
    )


def _nice(top: float) -> float:
    """The axis' top: the smallest 1, 2, 2.5 or 5 times a power of ten at or above ``top``."""
    if top <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(top))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= top * (1 - 1e-9))


def stacked_bars(
    chart_id: str, title: str, labels: Sequence[str], series: dict[str, Sequence[int]], desc: str
) -> Markup:
    """Bars per label, stacked by series (e.g. tickets per day by outcome), with a legend."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = _nice(float(max(totals, default=0)))
    inner_h, inner_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    step = inner_w / max(1, len(labels))
    parts = [_axis(top, lambda v: f"{v:g}")]
    for i in range(len(labels)):
        y = float(HEIGHT - BOTTOM)
        for n, (name, values) in enumerate(series.items()):
            h = inner_h * values[i] / top
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{LEFT + step * i + step * 0.15:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                    f'height="{h:.1f}" fill="{PALETTE[n % len(PALETTE)]}">'
                    f"<title>{escape(labels[i])}: {values[i]} {escape(name)}</title></rect>"
                )
    parts.append(_labels(labels, step))
    parts.append(_legend(list(series)))
    return _frame(chart_id, title, desc, "".join(parts))


def _legend(names: list[str]) -> str:
    return "".join(
        f'<rect x="{LEFT + 110 * n}" y="{HEIGHT - 12}" width="10" height="10" '
        f'fill="{PALETTE[n % len(PALETTE)]}"/><text x="{LEFT + 110 * n + 14}" y="{HEIGHT - 3}" '
        f'class="tick">{escape(name)}</text>'
        for n, name in enumerate(names)
    )


def line(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    fmt: Callable[[float], str],
    desc: str,
) -> Markup:
    """A line over labels (gaps where a value is None), with a dot per point."""
    known = [v for v in values if v is not None]
    top = _nice(max(known, default=0.0))
    inner_h, inner_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    step = inner_w / max(1, len(labels))
    parts = [_axis(top, fmt)]
    path: list[str] = []
    for i, value in enumerate(values):
        if value is None:
            path.append("")
            continue
        x, y = LEFT + step * (i + 0.5), HEIGHT - BOTTOM - inner_h * value / top
        path.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[3]}">'
            f"<title>{escape(labels[i])}: {escape(fmt(value))}</title></circle>"
        )
    for segment in " ".join(p or "|" for p in path).split("|"):
        if segment.strip():
            parts.insert(
                1,
                f'<polyline points="{segment.strip()}" fill="none" stroke="{PALETTE[3]}" stroke-width="2"/>',
            )
    if not known:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="tick">no data yet</text>'
        )
    parts.append(_labels(labels, step))
    return _frame(chart_id, title, desc, "".join(parts))


def hbars(chart_id: str, title: str, counts: dict[str, int], desc: str) -> Markup:
    """Horizontal bars, one per key (e.g. escalations by reason), largest first, at most 8."""
    shown = list(counts.items())[:8]
    top = _nice(float(max((c for _, c in shown), default=0)))
    row = (HEIGHT - TOP - 8) / max(1, len(shown))
    label_w, inner_w = 170, WIDTH - 170 - RIGHT - 40
    parts = []
    for i, (name, count) in enumerate(shown):
        y = TOP + row * i
        w = inner_w * count / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + row * 0.6:.1f}" text-anchor="end" class="tick">'
            f"{escape(name[:28])}</text>"
            f'<rect x="{label_w}" y="{y + row * 0.15:.1f}" width="{w:.1f}" height="{row * 0.7:.1f}" '
            f'fill="{PALETTE[1]}"/><text x="{label_w + w + 4:.1f}" y="{y + row * 0.6:.1f}" '
            f'class="tick">{count}</text>'
        )
    if not shown:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="tick">none</text>')
    return _frame(chart_id, title, desc, "".join(parts))
