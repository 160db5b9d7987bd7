"""Render a report view to one self-contained HTML file and a Markdown file with SVG charts.

The templates ship inside the package (``report/templates``): ``report.html.j2`` with the
stylesheet ``report.css`` inlined (no CDN, fonts or scripts: the file works offline),
and ``report.md.j2``, whose charts are the SVG files written to ``charts/`` beside it.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import jinja2

from controltower.report.format import money
from controltower.report.models import ReportView

__all__ = ["render_html", "render_markdown"]

_STATUS_LABELS = {
    "now": "Now",
    "next": "Next",
    "later": "Later",
    "deferred": "Deferred",
    "refused": "Refused",
}


def _cell(value: object) -> str:
    """Text safe in a Markdown table cell: pipes escaped, line breaks flattened."""
    return str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


@cache
def _environment(kind: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("controltower.report", "templates"),
        autoescape=kind == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["cell"] = _cell
    environment.filters["money"] = money
    environment.globals["status_labels"] = _STATUS_LABELS
    return environment


def _stylesheet() -> str:
    return (files("controltower.report") / "templates" / "report.css").read_text("utf-8")


def render_html(view: ReportView) -> str:
    """The report as one HTML document, stylesheet and charts inlined."""
    template = _environment("html").get_template("report.html.j2")
    return template.render(view=view, css=_stylesheet())


def render_markdown(view: ReportView) -> str:
    """The report as Markdown; charts are referenced as ``charts/NAME.svg`` files."""
    template = _environment("markdown").get_template("report.md.j2")
    text = template.render(view=view)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text
