"""The one HTML page the reports are written into: a self-contained file (styles inline, plots as base64
PNG), so a weekly report and a replay report look alike and neither carries its own copy of the page."""

from __future__ import annotations

from typing import Any

from ticketflow.errors import ConfigError

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
  padding:0 1em;color:#1d2733}
h1{font-size:1.5em} h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #dde3e9;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{padding:.3em .6em;border-bottom:1px solid #eef1f4;vertical-align:top}
th{text-align:left;background:#f5f7f9} th.n{text-align:right}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.clear td{background:#eef5fc} code{font-size:.95em} img{max-width:100%;margin-top:.8em}
.note{color:#56606b;font-size:.9em}
</style></head><body>
<h1>{{ title }}</h1>
{% block body %}{% endblock %}
</body></html>
"""


def render_page(body: str, **context: Any) -> str:
    """``body`` (a Jinja2 template that extends ``"base.html"`` and fills ``block body``) rendered with
    ``context``, which must give ``title``; autoescaped, and an undefined name is an error, not a blank."""
    try:
        import jinja2
    except ImportError as exc:
        raise ConfigError("HTML reports need Jinja2: pip install 'ticketflow[reports]'") from exc
    loader = jinja2.DictLoader({"base.html": BASE, "page.html": body})
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template("page.html").render(**context)
