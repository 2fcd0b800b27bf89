"""A report as JSON, Markdown (with PNG files beside it) or one self-contained HTML file (PNGs inlined).

The HTML is rendered with Jinja2 from the template below, autoescaped, and loads nothing from anywhere: the
plots are ``data:`` URIs and the styles are inline, so the file can be mailed or archived as it is.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from ticketflow.errors import ConfigError
from ticketflow.evals.html_page import render_page
from ticketflow.evals.periods import Trend
from ticketflow.evals.report import Report, Row
from ticketflow.evals.review import RateEstimate


def fmt(value: float | None, unit: str) -> str:
    """A figure as a person reads it: ``41.2%``, ``$0.0031``, ``812 ms``; ``–`` for no data."""
    if value is None:
        return "–"
    if unit == "rate":
        return f"{value:.1%}"
    if unit == "usd":
        return f"${value:,.4f}" if abs(value) < 1 else f"${value:,.2f}"
    if unit == "ms":
        return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit in ("tokens", "calls"):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def fmt_change(trend: Trend, unit: str) -> str:
    """The change against the previous period: percentage points for rates, else a relative change."""
    change = trend.change
    if change is None:
        return trend.arrow()
    if unit == "rate":
        return f"{trend.arrow()} {change * 100:+.1f} pp"
    relative = trend.relative
    if relative is None:  # the previous figure was zero
        return f"{trend.arrow()} {change:+,.4g}"
    return f"{trend.arrow()} {relative:+.1%}"


def fmt_estimate(estimate: RateEstimate | None) -> str:
    """``82.0% [69.2%, 90.2%], n=50``, or ``no grades``."""
    if estimate is None or estimate.rate is None or estimate.low is None or estimate.high is None:
        return "no grades"
    return f"{estimate.rate:.1%} [{estimate.low:.1%}, {estimate.high:.1%}], n={estimate.n}"


def _row(row: Row) -> dict[str, Any]:
    now, before = (fmt(row.trend.current, row.unit), fmt(row.trend.previous, row.unit))
    if row.estimates is not None:
        now, before = fmt_estimate(row.estimates[0]), fmt_estimate(row.estimates[1])
    return {
        "label": row.label,
        "current": now,
        "previous": before,
        "change": fmt_change(row.trend, row.unit),
        "note": row.note or "",
    }


def to_json(report: Report) -> dict[str, Any]:
    """The report as plain JSON values (rates as fractions, money in dollars, times in ms)."""

    def estimate(e: RateEstimate) -> dict[str, Any]:
        return {"rate": e.rate, "successes": e.successes, "n": e.n, "low": e.low, "high": e.high}

    def row(r: Row) -> dict[str, Any]:
        body: dict[str, Any] = {
            "label": r.label,
            "unit": r.unit,
            "current": r.trend.current,
            "previous": r.trend.previous,
            "change": r.trend.change,
            "relative_change": r.trend.relative,
        }
        if r.note:
            body["note"] = r.note
        if r.estimates is not None:
            body["current_estimate"], body["previous_estimate"] = map(estimate, r.estimates)
        return body

    return {
        "period": {
            "kind": report.period.kind.value,
            "since": report.period.since.isoformat(),
            "until": report.period.until.isoformat(),
        },
        "previous": {"since": report.previous.since.isoformat(), "until": report.previous.until.isoformat()},
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "tickets": {"current": report.tickets[0], "previous": report.tickets[1]},
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "note": s.note,
                "rows": [row(r) for r in s.rows],
                **(
                    {
                        "daily": {
                            "label": s.daily.label,
                            "unit": s.daily.unit,
                            "current": list(s.daily.current),
                            "previous": list(s.daily.previous),
                        }
                    }
                    if s.daily
                    else {}
                ),
            }
            for s in report.sections
        ],
    }


def _title(report: Report) -> str:
    return f"ticketflow {report.period.kind.value}ly report, {report.period.label()}"


def to_markdown(report: Report, plots: dict[str, str]) -> str:
    """The report as Markdown; ``plots`` maps a section id to the relative path of its PNG."""
    lines = [
        f"# {_title(report)}",
        "",
        f"{report.tickets[0]} finished tickets, against {report.tickets[1]} in the previous "
        f"{report.period.kind.value} ({report.previous.label()}). "
        f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.",
    ]
    for section in report.sections:
        lines += ["", f"## {section.title}", ""]
        if section.note:
            lines += [section.note, ""]
        lines += ["| figure | this period | previous | change | note |", "|---|---:|---:|---:|---|"]
        for row in map(_row, section.rows):
            cells = [row["label"], row["current"], row["previous"], row["change"], row["note"]]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        if section.id in plots:
            lines += ["", f"![{section.title}]({plots[section.id]})"]
    return "\n".join(lines) + "\n"


TEMPLATE = """{% extends "base.html" %}{% block body %}
<p>{{ report.tickets[0] }} finished tickets, against {{ report.tickets[1] }} in the previous {{ kind }}
({{ report.previous.label() }}). Generated {{ report.generated_at.strftime("%Y-%m-%d %H:%M") }} UTC.</p>
{% for section in sections %}
<section id="{{ section.id }}"><h2>{{ section.title }}</h2>
{% if section.note %}<p class="note">{{ section.note }}</p>{% endif %}
<table><tr><th>figure</th><th class="n">this period</th><th class="n">previous</th><th class="n">change</th>
<th>note</th></tr>
{% for row in section.rows %}<tr><td>{{ row.label }}</td><td class="n">{{ row.current }}</td>
<td class="n">{{ row.previous }}</td><td class="n">{{ row.change }}</td>
<td class="note">{{ row.note }}</td></tr>
{% endfor %}</table>
{% if section.png %}<img alt="{{ section.title }}" src="data:image/png;base64,{{ section.png }}">{% endif %}
</section>
{% endfor %}
{% endblock %}
"""


def to_html(report: Report, plots: dict[str, bytes]) -> str:
    """The report as one HTML file with every plot inlined as base64 PNG."""
    sections = [
        {
            "id": s.id,
            "title": s.title,
            "note": s.note,
            "rows": [_row(r) for r in s.rows],
            "png": base64.b64encode(plots[s.id]).decode("ascii") if s.id in plots else None,
        }
        for s in report.sections
    ]
    return render_page(
        TEMPLATE, title=_title(report), report=report, kind=report.period.kind.value, sections=sections
    )


def write_report(report: Report, fmt_name: str, out: Path | None) -> str | None:
    """Render ``report`` as ``json``, ``md`` or ``html``; to ``out`` when given (``md`` writes its PNGs beside
    it as ``<stem>-<section>.png``), else returned as text (``md`` then has no plots)."""
    import json

    from ticketflow.evals.report_plots import draw

    if fmt_name == "json":
        text = json.dumps(to_json(report), indent=2) + "\n"
    elif fmt_name == "html":
        text = to_html(report, draw(report))
    elif fmt_name == "md":
        paths: dict[str, str] = {}
        if out is not None:
            for section_id, png in draw(report).items():
                name = f"{out.stem}-{section_id}.png"
                (out.parent / name).write_bytes(png)
                paths[section_id] = name
        text = to_markdown(report, paths)
    else:
        raise ConfigError(f"--format {fmt_name!r}: choose html, md or json")
    if out is None:
        return text
    out.write_text(text, encoding="utf-8")
    return None
