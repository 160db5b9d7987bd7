"""Report stage: the plan as a document people want to read (``tower plan --report DIR``).

:func:`write_report` writes ``report.html`` (one self-contained file: styles and charts
inlined, works offline), ``report.md`` (the same content) and the charts as SVG files in
``charts/`` (the Markdown's images). The steps, one module each:

- :mod:`~controltower.report.evidence`: the quotes and account facts the report cites;
- :mod:`~controltower.report.audience`: what each audience sees;
- :mod:`~controltower.report.build`: the view model, every claim with its evidence;
- :mod:`~controltower.report.narrative`: facts, and the deterministic or model narrative;
- :mod:`~controltower.report.charts`: Vega-Lite specs rendered to SVG;
- :mod:`~controltower.report.render`: the Jinja2 templates.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from controltower.errors import InputError
from controltower.report.audience import AUDIENCES, Audience, policy_for
from controltower.report.build import build_view
from controltower.report.charts import build_charts
from controltower.report.evidence import EvidenceBook, load_evidence
from controltower.report.narrative import (
    DeterministicNarrator,
    LLMNarrator,
    Narrator,
    collect_facts,
)
from controltower.report.render import render_html, render_markdown
from controltower.settings import ReportSettings
from controltower.workspace import write_atomically

if TYPE_CHECKING:
    from controltower.plan import Plan
    from controltower.workspace import Workspace

__all__ = [
    "AUDIENCES",
    "Audience",
    "DeterministicNarrator",
    "EvidenceBook",
    "LLMNarrator",
    "Narrator",
    "ReportFiles",
    "check_report_options",
    "load_evidence",
    "make_narrator",
    "report_plan",
    "write_report",
]

log = logging.getLogger(__name__)

HTML_FILE = "report.html"
MARKDOWN_FILE = "report.md"


class ReportFiles(BaseModel):
    """What :func:`write_report` wrote."""

    html: Path
    markdown: Path
    charts: list[Path]
    audience: str
    note: str | None = None


def plan_ids(plan: Plan, evidence: EvidenceBook) -> set[str]:
    """Every id a report could name: patterns, candidates, accounts, quotes, guardrails."""
    return {
        *(p.id for p in plan.patterns),
        *(c.id for c in plan.capabilities),
        *evidence.accounts,
        *evidence.quotes,
        *evidence.guardrails,
    }


def write_report(
    plan: Plan,
    evidence: EvidenceBook,
    out_dir: Path,
    *,
    audience: str = "full",
    narrator: Narrator | None = None,
    settings: ReportSettings | None = None,
) -> ReportFiles:
    """Write the report of a plan for one audience.

    Args:
        plan: The plan (:func:`controltower.plan.build_plan`).
        evidence: What it quotes (:func:`load_evidence`).
        out_dir: Folder to write into (created if missing; files in it are replaced).
        audience: ``full`` (default), ``exec``, ``engineering``, ``fde`` or ``customer``.
        narrator: Writes the narrative (default: :class:`DeterministicNarrator`).
        settings: Report settings (defaults when None).

    Returns:
        The paths written and the narrator's note, if any (e.g. a fallback).

    Raises:
        InputError: Unknown audience, or ``out_dir`` is a file.
    """
    policy = policy_for(audience)
    view = build_view(plan, evidence, policy, settings)
    narration = (narrator or DeterministicNarrator()).narrate(
        collect_facts(view), known_ids=plan_ids(plan, evidence)
    )
    view.narrative = narration.sections
    view.narrative_note = narration.note
    view.charts = build_charts(view, economics=plan.economics, adoption=plan.adoption)
    _check_folder(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chart_paths = []
    for chart in view.charts.values():
        path = out_dir / chart.file
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, chart.file_svg)
        chart_paths.append(path)
    html = out_dir / HTML_FILE
    markdown = out_dir / MARKDOWN_FILE
    write_atomically(html, render_html(view))
    write_atomically(markdown, render_markdown(view))
    log.info("report: wrote %s (%s view, %d charts)", html, policy.audience, len(chart_paths))
    return ReportFiles(
        html=html,
        markdown=markdown,
        charts=chart_paths,
        audience=policy.audience,
        note=narration.note,
    )


def make_narrator(
    settings: ReportSettings, *, llm_url: str | None, llm_model: str | None
) -> Narrator:
    """The deterministic narrator, or the language-model one when a URL is given.

    Raises:
        InputError: A URL without a model name, or a model name without a URL.
    """
    if llm_url is None and llm_model is None:
        return DeterministicNarrator()
    if not llm_url or not llm_model:
        raise InputError("--llm-url and --llm-model go together: give both or neither")
    return LLMNarrator(
        llm_url,
        llm_model,
        timeout=settings.llm_timeout_seconds,
        temperature=settings.llm_temperature,
    )


def _check_folder(out_dir: Path) -> None:
    """Refuse a report folder that is a file (or under one)."""
    for path in (out_dir, *out_dir.parents):
        if path.exists() and not path.is_dir():
            raise InputError(f"{path} is a file; the report needs a folder")


def check_report_options(
    workspace: Workspace,
    *,
    audience: str,
    llm_url: str | None,
    llm_model: str | None,
    out_dir: Path | None = None,
) -> None:
    """Refuse bad report options before any work is done.

    Raises:
        InputError: Unknown audience, only one of the two model options, or an output
            folder that is a file.
    """
    if out_dir is not None:
        _check_folder(out_dir)
    policy_for(audience)
    make_narrator(workspace.settings.report, llm_url=llm_url, llm_model=llm_model)


def report_plan(
    workspace: Workspace,
    plan: Plan,
    out_dir: Path,
    *,
    audience: str = "full",
    llm_url: str | None = None,
    llm_model: str | None = None,
) -> ReportFiles:
    """Write the report of a plan built from a workspace (``tower plan --report DIR``).

    Args:
        workspace: The workspace the plan was built from (its evidence is quoted).
        plan: The plan.
        out_dir: Folder to write into.
        audience: See :data:`AUDIENCES`.
        llm_url: OpenAI-compatible endpoint for the narrative (None: deterministic).
        llm_model: Model name for ``llm_url``.
    """
    settings = workspace.settings.report
    policy_for(audience)
    narrator = make_narrator(settings, llm_url=llm_url, llm_model=llm_model)
    evidence = load_evidence(workspace, plan, settings)
    return write_report(
        plan, evidence, out_dir, audience=audience, narrator=narrator, settings=settings
    )
