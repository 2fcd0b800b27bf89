"""A replay's comparison as JSON, Markdown (PNG plots beside it) or one self-contained HTML file.

The HTML is rendered with Jinja2 (the ``reports`` extra), autoescaped, and loads nothing: the plots are
``data:`` URIs. The JSON lists every changed ticket; Markdown and HTML list the first :data:`LISTED`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from ticketflow.errors import ConfigError
from ticketflow.evals.html_page import render_page
from ticketflow.evals.replay import ArmResult
from ticketflow.evals.replay_report import Changed, Comparison, Matrix
from ticketflow.evals.replay_stats import PairedFigure
from ticketflow.evals.report_render import fmt

LISTED = 200
"""Changed tickets listed in Markdown and HTML (the JSON has them all)."""
GROUPS = (
    ("outcomes", "Outcomes"),
    ("routes", "Routes"),
    ("checks", "Validation checks (failed in the last round)"),
    ("usage", "Tokens and projected cost"),
)


def _signed(value: float, unit: str) -> str:
    if value == 0.0:
        return "0.0 pp" if unit == "rate" else "$0" if unit == "usd" else "0"
    if unit == "rate":
        return f"{value * 100:+.1f} pp"
    if unit == "usd":
        sign = "-" if value < 0 else "+"
        return f"{sign}${abs(value):,.5f}"
    return f"{value:+,.1f}"


def fmt_interval(figure: PairedFigure) -> str:
    """``[-55.0, -25.0] pp``: the difference's interval in the figure's unit."""
    low, high = _signed(figure.low, figure.unit), _signed(figure.high, figure.unit)
    if figure.unit == "rate":
        return f"[{low[:-3]}, {high}]"
    return f"[{low}, {high}]"


def fmt_p(value: float | None) -> str:
    """A p-value as ``0.031``, ``<0.0001``, or ``–`` when the test does not apply."""
    if value is None:
        return "–"
    return "<0.0001" if value < 0.0001 else f"{value:.4f}" if value < 0.01 else f"{value:.3f}"


def _value(figure: PairedFigure, value: float) -> str:
    return fmt(value, "usd" if figure.unit == "usd" else figure.unit)


def figure_row(figure: PairedFigure) -> dict[str, str]:
    """A figure's cells as the tables show them."""
    discordant = "–" if figure.only_a is None else f"{figure.only_a} / {figure.only_b}"
    return {
        "label": figure.label,
        "a": _value(figure, figure.a),
        "b": _value(figure, figure.b),
        "diff": _signed(figure.diff, figure.unit),
        "ci": fmt_interval(figure),
        "p": fmt_p(figure.p_value),
        "discordant": discordant,
        "clear": "yes" if figure.clear() else "",
    }


def _arm(result: ArmResult) -> dict[str, Any]:
    return {
        "route": result.route,
        "outcome": result.outcome,
        "reason": result.reason,
        "intent": result.intent,
        "failed_checks": list(result.failed_checks),
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "cost_usd": result.cost_usd,
    }


def _side(result: ArmResult) -> str:
    reason = f" ({result.reason})" if result.reason else ""
    return f"{result.route} → {result.outcome}{reason}"


def changed_row(changed: Changed) -> dict[str, str]:
    """A changed ticket's cells: its id, when it came, each arm's route → outcome, what changed."""
    return {
        "ticket": changed.ticket_id,
        "received": f"{changed.received_at:%Y-%m-%d %H:%M}" if changed.received_at else "",
        "a": _side(changed.a),
        "b": _side(changed.b),
        "changes": ", ".join(changed.changes),
        "stored": changed.stored_outcome or "",
    }


def _matrix(matrix: Matrix) -> dict[str, Any]:
    return {
        "labels": list(matrix.labels),
        "counts": [list(r) for r in matrix.counts],
        "changed": matrix.changed,
    }


def _statistics(c: Comparison) -> dict[str, Any]:
    return {
        "interval": f"paired bootstrap over tickets, percentile, {c.level:.0%}",
        "resamples": c.resamples,
        "seed": c.seed,
        "level": c.level,
        "binary_test": "McNemar exact, two-sided (p for rates; discordant counts only_a / only_b)",
    }


def to_json(c: Comparison) -> dict[str, Any]:
    """The comparison as plain JSON values (rates as fractions, money in dollars)."""
    return {
        "kind": "replay",
        "since": c.since.isoformat(),
        "until": c.until.isoformat(),
        "generated_at": c.generated_at.isoformat(timespec="seconds"),
        "tickets": {"matched": c.matched, "replayed": c.n, "sample": c.sample},
        "arms": [
            {
                "name": a.name,
                "variants": list(a.variants),
                "provider": a.provider,
                "model": a.model,
                "workspace": a.workspace,
            }
            for a in c.arms
        ],
        "statistics": _statistics(c),
        "figures": [
            {
                "group": f.group,
                "label": f.label,
                "unit": f.unit,
                "a": f.a,
                "b": f.b,
                "diff": f.diff,
                "interval": [f.low, f.high],
                "n": f.n,
                "only_a": f.only_a,
                "only_b": f.only_b,
                "p_value": f.p_value,
            }
            for f in c.figures
        ],
        "route_matrix": _matrix(c.route_matrix),
        "outcome_matrix": _matrix(c.outcome_matrix),
        "totals": {"A": c.totals[0], "B": c.totals[1]},
        "stored_agreement": {"a_matches_stored_outcome": c.stored_agreement, "of": c.n},
        "changed": [
            {
                "ticket_id": t.ticket_id,
                "received_at": t.received_at.isoformat() if t.received_at else None,
                "changes": list(t.changes),
                "a": _arm(t.a),
                "b": _arm(t.b),
                "stored_outcome": t.stored_outcome,
            }
            for t in c.changed
        ],
        "notes": list(c.notes),
    }


def _title(c: Comparison) -> str:
    return f"ticketflow replay, {c.since:%Y-%m-%d} – {c.until:%Y-%m-%d}"


def summary(c: Comparison) -> list[str]:
    """The report's opening lines: what was replayed, the arms, the method, the change count."""
    a, b = c.arms
    sampled = "" if c.n == c.matched else f" ({c.sample} sample of {c.matched})"
    changed = len(c.changed)
    return [
        f"{c.n} stored tickets replayed{sampled}, received from {c.since:%Y-%m-%d %H:%M} to "
        f"{c.until:%Y-%m-%d %H:%M} UTC (exclusive). Nothing was sent or stored.",
        f"Arm A: the workspace as configured ({a.workspace}, {a.provider}, {a.model}). "
        f"Arm B: A with {', '.join(b.variants) or 'no variant'} ({b.provider}, {b.model}).",
        f"{changed} of {c.n} tickets changed route, outcome or a check's verdict. "
        f"Arm A reproduces the stored outcome of {c.stored_agreement} of {c.n}.",
        f"Intervals: {c.level:.0%} paired bootstrap over tickets ({c.resamples} resamples, seed {c.seed}), "
        "of B − A; p: McNemar's exact test on the discordant tickets (A only / B only).",
        f"Total projected cost: A ${c.totals[0]['cost_usd']:,.4f}, B ${c.totals[1]['cost_usd']:,.4f}.",
        *c.notes,
    ]


def shown(c: Comparison, group: str) -> tuple[list[PairedFigure], str | None]:
    """A table's figures as Markdown and HTML show them, and a note on what was left out: checks that
    failed in neither arm are named in the note instead of filling rows with zeros (the JSON has them)."""
    figures = c.group(group)
    if group != "checks":
        return figures, None
    quiet = [f.label.removesuffix(" failed") for f in figures if not (f.a or f.b)]
    note = f"Failed in neither arm: {', '.join(quiet)}." if quiet else None
    return [f for f in figures if f.a or f.b], note


def _md_table(header: list[str], rows: list[list[str]], align: list[str]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return lines


def _md_matrix(matrix: Matrix, title: str) -> list[str]:
    rows = [[f"A: {label}", *map(str, row)] for label, row in zip(matrix.labels, matrix.counts, strict=True)]
    header = [title, *(f"B: {label}" for label in matrix.labels)]
    return _md_table(header, rows, ["---", *["---:"] * len(matrix.labels)])


FIGURE_HEADER = ["figure", "A", "B", "B − A", "interval", "p", "A only / B only"]


def to_markdown(c: Comparison, plots: dict[str, str]) -> str:
    """The comparison as Markdown; ``plots`` maps a plot id to the relative path of its PNG."""
    lines = [f"# {_title(c)}", "", *(f"{line}  " for line in summary(c))]
    for group, title in GROUPS:
        figures, note = shown(c, group)
        if not figures and note is None:
            continue
        cells = ("label", "a", "b", "diff", "ci", "p", "discordant")
        rows = [[r[k] for k in cells] for r in map(figure_row, figures)]
        lines += ["", f"## {title}", ""]
        if rows:
            lines += _md_table(FIGURE_HEADER, rows, ["---", *["---:"] * 6])
        if note is not None:
            lines += ["", note]
        if group == "routes" and "outcomes" in plots:
            lines += ["", f"![outcomes and routes]({plots['outcomes']})"]
    if "differences" in plots:
        lines += ["", f"![paired differences]({plots['differences']})"]
    lines += ["", "## What changed, A → B", "", *_md_matrix(c.route_matrix, "route"), ""]
    lines += _md_matrix(c.outcome_matrix, "outcome")
    if "changes" in plots:
        lines += ["", f"![change matrices]({plots['changes']})"]
    if "usage" in plots:
        lines += ["", f"![cost and tokens per ticket]({plots['usage']})"]
    lines += ["", f"## Tickets that changed ({len(c.changed)})", ""]
    listed = [changed_row(t) for t in c.changed[:LISTED]]
    rows = [[r["ticket"], r["received"], r["a"], r["b"], r["changes"], r["stored"]] for r in listed]
    header = ["ticket", "received", "A: route → outcome", "B: route → outcome", "changed", "stored"]
    lines += _md_table(header, rows, ["---"] * 6) if rows else ["None: both arms agree on every ticket."]
    if len(c.changed) > LISTED:
        lines += ["", f"{len(c.changed) - LISTED} more in the JSON report (`--format json`)."]
    return "\n".join(lines) + "\n"


TEMPLATE = """{% extends "base.html" %}{% block body %}
{% for line in summary %}<p>{{ line }}</p>
{% endfor %}
{% for group in groups %}
<section id="{{ group.id }}"><h2>{{ group.title }}</h2>
{% if group.rows %}<table><tr><th>figure</th><th class="n">A</th><th class="n">B</th><th class="n">B − A</th>
<th class="n">interval</th><th class="n">p</th><th class="n">A only / B only</th></tr>
{% for r in group.rows %}<tr{% if r.clear %} class="clear"{% endif %}><td>{{ r.label }}</td>
<td class="n">{{ r.a }}</td><td class="n">{{ r.b }}</td><td class="n">{{ r.diff }}</td>
<td class="n">{{ r.ci }}</td><td class="n">{{ r.p }}</td><td class="n">{{ r.discordant }}</td></tr>
{% endfor %}</table>{% endif %}
{% if group.note %}<p class="note">{{ group.note }}</p>{% endif %}
{% if group.id == "routes" and plots.outcomes %}
<img alt="outcome and route shares per arm" src="data:image/png;base64,{{ plots.outcomes }}">{% endif %}
</section>
{% endfor %}
<p class="note">Highlighted rows: the interval excludes zero and, for a rate, McNemar's p is below
{{ alpha }}.</p>
{% if plots.differences %}<img alt="paired differences" src="data:image/png;base64,{{ plots.differences }}">
{% endif %}
<section id="changes"><h2>What changed, A → B</h2>
{% for m in matrices %}<table><tr><th>{{ m.title }}</th>{% for l in m.labels %}<th class="n">B: {{ l }}</th>
{% endfor %}</tr>
{% for row in m.rows %}<tr><td>A: {{ row.label }}</td>{% for c in row.counts %}<td class="n">{{ c }}</td>
{% endfor %}</tr>
{% endfor %}</table><br>
{% endfor %}
{% if plots.changes %}<img alt="change matrices" src="data:image/png;base64,{{ plots.changes }}">{% endif %}
{% if plots.usage %}<img alt="cost and tokens per ticket" src="data:image/png;base64,{{ plots.usage }}">
{% endif %}
</section>
<section id="changed"><h2>Tickets that changed ({{ changed_total }})</h2>
{% if changed %}<table><tr><th>ticket</th><th>received</th><th>A: route → outcome</th>
<th>B: route → outcome</th><th>changed</th><th>stored</th></tr>
{% for t in changed %}<tr><td><code>{{ t.ticket }}</code></td><td>{{ t.received }}</td><td>{{ t.a }}</td>
<td>{{ t.b }}</td><td>{{ t.changes }}</td><td>{{ t.stored }}</td></tr>
{% endfor %}</table>
{% if changed_total > changed|length %}<p class="note">{{ changed_total - changed|length }} more in the
JSON report (--format json).</p>{% endif %}
{% else %}<p>None: both arms agree on every ticket.</p>{% endif %}
</section>
{% endblock %}
"""


def to_html(c: Comparison, plots: dict[str, bytes]) -> str:
    """The comparison as one HTML file with every plot inlined as base64 PNG."""
    groups = []
    for group, title in GROUPS:
        figures, note = shown(c, group)
        if figures or note is not None:
            rows = [figure_row(f) for f in figures]
            groups.append({"id": group, "title": title, "rows": rows, "note": note})
    matrices = [
        {
            "title": title,
            "labels": m.labels,
            "rows": [{"label": lab, "counts": row} for lab, row in zip(m.labels, m.counts, strict=True)],
        }
        for title, m in (("route", c.route_matrix), ("outcome", c.outcome_matrix))
    ]
    inlined = {name: base64.b64encode(png).decode("ascii") for name, png in plots.items()}
    for name in ("outcomes", "differences", "changes", "usage"):
        inlined.setdefault(name, "")
    return render_page(
        TEMPLATE,
        title=_title(c),
        summary=summary(c),
        groups=groups,
        matrices=matrices,
        plots=inlined,
        changed=[changed_row(t) for t in c.changed[:LISTED]],
        changed_total=len(c.changed),
        alpha=f"{1 - c.level:.2g}",
    )


def write_replay(c: Comparison, fmt_name: str, out: Path | None) -> str | None:
    """Render ``c`` as ``json``, ``md`` or ``html``; to ``out`` when given (``md`` writes its PNGs beside it
    as ``<stem>-<plot>.png``), else returned as text (``md`` then has no plots)."""
    from ticketflow.evals.replay_plots import draw

    if fmt_name == "json":
        text = json.dumps(to_json(c), indent=2) + "\n"
    elif fmt_name == "html":
        text = to_html(c, draw(c))
    elif fmt_name == "md":
        paths: dict[str, str] = {}
        if out is not None:
            for name, png in draw(c).items():
                (out.parent / f"{out.stem}-{name}.png").write_bytes(png)
                paths[name] = f"{out.stem}-{name}.png"
        text = to_markdown(c, paths)
    else:
        raise ConfigError(f"--format {fmt_name!r}: choose html, md or json")
    if out is None:
        return text
    out.write_text(text, encoding="utf-8")
    return None
