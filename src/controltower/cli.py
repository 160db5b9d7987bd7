"""The ``tower`` command: thin Typer commands over library functions, rendered with Rich."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from controltower import __version__
from controltower.errors import BundleError, ControlTowerError
from controltower.export import export_workspace
from controltower.ingest.bundle import ImportReport, import_bundle, validate_bundle
from controltower.sample import write_sample_bundle
from controltower.settings import iter_settings_help
from controltower.status import Status, workspace_status
from controltower.workspace import Workspace, init_workspace, open_workspace, resolve_path

if TYPE_CHECKING:
    from controltower.synthesize.view import PatternView
    from controltower.value import PatternResult

app = typer.Typer(
    name="tower",
    help="Control Tower: the decision engine of the AI product manager.\n\n"
    "Example: tower init ./ws && tower -w ./ws import ./bundle && tower -w ./ws status",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

P = ParamSpec("P")
T = TypeVar("T")


class _State:
    workspace: Path | None = None


state = _State()


def _version(value: bool) -> None:
    if value:
        out.print(f"controltower {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace folder (default: $TOWER_WORKSPACE, else the current folder).",
            envvar="TOWER_WORKSPACE",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print version.")
    ] = False,
) -> None:
    """Global options, read before any command."""
    state.workspace = workspace
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
    )


def handle_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Map library errors to a message on stderr and the documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except BundleError as exc:
            err.print(f"[bold red]error:[/] {exc.args[0].splitlines()[0]}", highlight=False)
            for problem in exc.problems:
                err.print(str(problem), markup=False, highlight=False)
            if exc.total > len(exc.problems):
                err.print(f"… and {exc.total - len(exc.problems)} more problem(s)")
            raise typer.Exit(exc.exit_code) from exc
        except ControlTowerError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(exc.exit_code) from exc

    return wrapper


def _open() -> Workspace:
    return open_workspace(resolve_path(state.workspace))


@contextmanager
def _row_progress(label: str) -> Iterator[Callable[[str, int], None]]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def update(file: str, rows: int) -> None:
            if file not in tasks:
                tasks[file] = progress.add_task(f"{label} {file}", total=None)
            progress.update(tasks[file], completed=rows)

        yield update


def _print_import(report: ImportReport, title: str) -> None:
    table = Table(title=title)
    table.add_column("file")
    table.add_column("rows", justify="right")
    if report.written:
        for column in ("new", "updated", "unchanged"):
            table.add_column(column, justify="right")
    for file in report.files:
        cells = [file.file, f"{file.rows:,}"]
        if report.written:
            cells += [f"{file.inserted:,}", f"{file.updated:,}", f"{file.unchanged:,}"]
        table.add_row(*cells)
    out.print(table)
    if report.settings is not None:
        out.print("workspace.toml: settings " + ("imported" if report.written else "valid"))
    for name in report.ignored:
        out.print(f"{name}: not imported (a roadmap to audit is read by the commands that audit)")


@app.command()
@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
) -> None:
    """Create a workspace: a folder with workspace.toml and an empty store.

    Example: tower init ./acme-q1
    """
    with init_workspace(directory) as workspace:
        out.print(f"Created workspace in {workspace.path}")


@app.command()
@handle_errors
def validate(
    bundle: Annotated[Path, typer.Argument(help="Bundle folder of CSV files.")],
) -> None:
    """Check a bundle as an import would, and write nothing.

    References may point at rows already in the workspace when one is open (-w).

    Example: tower validate ./bundle
    """
    folder = resolve_path(state.workspace)
    workspace = _open() if (folder / "tower.db").exists() else None
    try:
        with _row_progress("checking") as progress:
            report = validate_bundle(bundle, workspace=workspace, progress=progress)
    finally:
        if workspace is not None:
            workspace.close()
    _print_import(report, f"{bundle}: valid")


@app.command("import")
@handle_errors
def import_(
    bundle: Annotated[Path, typer.Argument(help="Bundle folder of CSV files.")],
) -> None:
    """Import a bundle into the workspace: all or nothing, idempotent upsert by id.

    Example: tower -w ./acme-q1 import ./bundle
    """
    with _open() as workspace, _row_progress("importing") as progress:
        report = import_bundle(bundle, workspace=workspace, progress=progress)
    _print_import(report, f"imported {bundle}")


@app.command()
@handle_errors
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write the bundle to.")],
) -> None:
    """Write the workspace back out as a bundle (deterministic; re-importable).

    Example: tower -w ./acme-q1 export ./acme-q1-export
    """
    with _open() as workspace:
        report = export_workspace(workspace, directory)
    for name, count in report.files.items():
        out.print(f"{name}: {count:,} rows")
    out.print(f"Exported to {report.path}")


def _print_status(status: Status) -> None:
    counts = Table(title=f"Workspace {status.workspace}")
    counts.add_column("entity")
    counts.add_column("rows", justify="right")
    for entity, count in status.counts.items():
        counts.add_row(entity, f"{count:,}")
    out.print(counts)
    if status.first_signal is not None:
        out.print(f"Signals from {status.first_signal} to {status.last_signal}")
    mix = Table(title="Accounts")
    mix.add_column("segment")
    mix.add_column("accounts", justify="right")
    mix.add_column("ARR", justify="right")
    for segment, count in status.accounts_by_segment.items():
        mix.add_row(segment, str(count), f"{status.arr_by_segment.get(segment, 0.0):,.0f}")
    out.print(mix)
    out.print(
        "Accounts by tier: "
        + ", ".join(f"tier {tier}: {count}" for tier, count in status.accounts_by_tier.items())
    )
    out.print(
        "Signals by source: "
        + ", ".join(f"{source} {count:,}" for source, count in status.signals_by_source.items())
    )
    months = Table(title="Signals by month")
    months.add_column("month")
    months.add_column("signals", justify="right")
    months.add_column("")
    peak = max(status.signals_by_month.values(), default=1)
    for month, count in status.signals_by_month.items():
        months.add_row(month, f"{count:,}", "█" * max(1, round(30 * count / peak)))
    out.print(months)
    out.print(
        f"FDE hours: {status.fde_hours_deployments:,.0f} on deployments, "
        f"{status.fde_hours_custom_work:,.0f} on bespoke builds"
    )


@app.command()
@handle_errors
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what the workspace holds: counts, dates, account mix, signals, FDE hours.

    Example: tower -w ./acme-q1 status --json
    """
    with _open() as workspace:
        result = workspace_status(workspace)
    if as_json:
        out.print_json(result.model_dump_json())
    else:
        _print_status(result)


@app.command()
@handle_errors
def sample(
    directory: Annotated[Path, typer.Argument(help="Folder to write the sample bundle to.")],
    accounts: Annotated[int, typer.Option(min=1, help="Accounts.")] = 80,
    signals: Annotated[int, typer.Option(min=1, help="Signals.")] = 3000,
    custom_work: Annotated[int, typer.Option(min=0, help="Custom-work notes.")] = 400,
    candidates: Annotated[int, typer.Option(min=1, help="Capability candidates.")] = 40,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
) -> None:
    """Write a realistic sample bundle for a fictional enterprise-AI company.

    Example: tower sample ./bundle --accounts 80 --signals 3000 --seed 7
    """
    summary = write_sample_bundle(
        directory,
        accounts=accounts,
        signals=signals,
        custom_work=custom_work,
        candidates=candidates,
        seed=seed,
    )
    for name, count in summary.files.items():
        out.print(f"{name}: {count:,} rows")
    out.print(f"Wrote sample bundle to {summary.path}")


@app.command()
def settings(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every workspace.toml setting with its default and meaning.

    Example: tower settings
    """
    rows = list(iter_settings_help())
    if as_json:
        out.print_json(json.dumps([{"name": n, "default": d, "help": h} for n, d, h in rows]))
        return
    table = Table(title="workspace.toml settings")
    table.add_column("setting")
    table.add_column("default")
    table.add_column("meaning")
    for name, default, text in rows:
        table.add_row(name, json.dumps(default), text)
    out.print(table)


def _pattern_table(
    views: list[PatternView], title: str, recommendations: dict[str, str] | None = None
) -> Table:
    """Patterns one per line; the label (best key phrases) is cut to fit the terminal."""
    table = Table(title=title)
    table.add_column("id", no_wrap=True, min_width=5)
    table.add_column("label (key phrases)", max_width=34, no_wrap=True, overflow="ellipsis")
    for column in ("accounts", "signals", "builds", "FDE h"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    table.add_column("trend", no_wrap=True, min_width=8)
    if recommendations is not None:
        table.add_column("recommendation", no_wrap=True, min_width=11)
    for view in views:
        rec = view.recurrence
        extra = [] if recommendations is None else [recommendations.get(view.id, "-")]
        table.add_row(
            view.id,
            view.label,
            str(rec.accounts if rec else 0),
            str(rec.signals if rec else 0),
            str(rec.work_items if rec else 0),
            f"{rec.fde_hours:,.0f}" if rec else "0",
            view.trend or "",
            *extra,
        )
    return table


@app.command()
@handle_errors
def synthesize(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Re-cluster everything, not only what changed.")
    ] = False,
    top: Annotated[int, typer.Option(help="Patterns to show at the end.")] = 10,
) -> None:
    """Find the recurring patterns in signals and custom work (incremental by default).

    Example: tower -w ./acme-q1 synthesize
    """
    from controltower.synthesize.pipeline import synthesize as synthesize_workspace
    from controltower.synthesize.view import list_patterns

    with _open() as workspace, _stage_progress() as progress:
        report = synthesize_workspace(workspace, rebuild=rebuild, progress=progress)
    summary = Table(title=f"Synthesis run {report.run_id} ({report.mode})")
    summary.add_column("figure")
    summary.add_column("value", justify="right")
    for name, value in (
        ("items", report.items),
        ("new items", report.new_items),
        ("texts embedded", report.embedded),
        ("near-duplicates", report.duplicates),
        ("patterns", report.patterns),
        ("outliers (one-offs)", report.outliers),
    ):
        summary.add_row(name, f"{value:,}")
    for stage, seconds in report.stages.items():
        summary.add_row(f"{stage} seconds", f"{seconds:.2f}")
    out.print(summary)
    with _open() as workspace:
        views = list_patterns(workspace)[:top]
    out.print(_pattern_table(views, f"Top {len(views)} patterns"))


@contextmanager
def _stage_progress() -> Iterator[Callable[[str, int, int], None]]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update


patterns_app = typer.Typer(
    help="List, inspect and curate patterns.\n\nExample: tower patterns --json",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(patterns_app, name="patterns")


@patterns_app.callback()
@handle_errors
def patterns(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    all_: Annotated[
        bool, typer.Option("--all", help="Include merged and retired patterns.")
    ] = False,
) -> None:
    """List the patterns, broadest first.

    Example: tower -w ./acme-q1 patterns --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from controltower.synthesize.view import list_patterns

    with _open() as workspace:
        views = list_patterns(workspace, include_inactive=all_)
    from controltower.value import evaluate

    with _open() as workspace:
        judged = {p.id: p for p in evaluate(workspace).patterns} if views else {}
    if as_json:
        out.print_json(json.dumps([_pattern_json(v, judged.get(v.id)) for v in views]))
        return
    shown = {
        pid: p.recommendation + (" (trap)" if p.customization_trap else "")
        for pid, p in judged.items()
    }
    out.print(_pattern_table(views, f"{len(views)} patterns", shown))


def _pattern_json(view: PatternView, judged: PatternResult | None) -> dict[str, object]:
    """A pattern as PRODUCT.md's plan lists it: synthesis fields plus the recommendation."""
    data = view.model_dump(mode="json")
    if judged is not None:
        data["recommendation"] = judged.recommendation
        data["customization_trap"] = judged.customization_trap
        data["reasons"] = judged.reasons
    else:
        data["recommendation"] = None
    return data


@patterns_app.command("show")
@handle_errors
def patterns_show(
    pattern_id: Annotated[str, typer.Argument(help="Pattern id, e.g. P0003.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one pattern: phrases, quotes, evidence ids, recurrence, trend and reasons.

    Example: tower patterns show P0003
    """
    from controltower.synthesize.view import get_pattern

    with _open() as workspace:
        view = get_pattern(workspace, pattern_id)
    if as_json:
        out.print_json(view.model_dump_json())
        return
    out.print(f"[bold]{view.id}[/] {view.label}  ({view.status}, label {view.label_source})")
    out.print("Key phrases: " + ", ".join(view.key_phrases))
    for reason in view.reasons:
        out.print(f"- {reason}")
    for quote in view.representatives:
        out.print(f'  "{quote.text}" ({quote.kind} {quote.id}, {quote.account_id})', markup=False)
    out.print(f"Accounts: {', '.join(view.account_ids)}")
    out.print(f"Signals: {', '.join(view.signal_ids)}")
    out.print(f"Custom work: {', '.join(view.work_ids) or '-'}")
    if view.recurrence is not None:
        out.print("By month: " + ", ".join(f"{m} {n}" for m, n in view.recurrence.by_month.items()))


@patterns_app.command("merge")
@handle_errors
def patterns_merge(
    target: Annotated[str, typer.Argument(help="Pattern that stays.")],
    other: Annotated[str, typer.Argument(help="Pattern merged into it.")],
) -> None:
    """Merge pattern OTHER into TARGET (kept across runs).

    Example: tower patterns merge P0003 P0011
    """
    from controltower.synthesize.curate import merge_patterns

    with _open() as workspace:
        merge_patterns(workspace, target, other)
    out.print(f"Merged {other} into {target}")


@patterns_app.command("split")
@handle_errors
def patterns_split(
    pattern_id: Annotated[str, typer.Argument(help="Pattern to split.")],
    parts: Annotated[int, typer.Option(min=2, help="Number of parts.")] = 2,
) -> None:
    """Split a pattern in parts by its members' meaning (kept across runs).

    Example: tower patterns split P0003 --parts 2
    """
    from controltower.synthesize.curate import split_pattern

    with _open() as workspace:
        ids = split_pattern(workspace, pattern_id, parts=parts)
    out.print(f"Split {pattern_id} into {', '.join(ids)}")


@patterns_app.command("rename")
@handle_errors
def patterns_rename(
    pattern_id: Annotated[str, typer.Argument(help="Pattern to rename.")],
    label: Annotated[str, typer.Argument(help="The new label.")],
) -> None:
    """Give a pattern your own label (synthesis keeps it).

    Example: tower patterns rename P0003 "SSO and SCIM provisioning"
    """
    from controltower.synthesize.curate import rename_pattern

    with _open() as workspace:
        rename_pattern(workspace, pattern_id, label)
    out.print(f"Renamed {pattern_id}: {label}")


@patterns_app.command("pin")
@handle_errors
def patterns_pin(
    item: Annotated[str, typer.Argument(help="signal:ID, work:ID or a bare id.")],
    pattern_id: Annotated[str, typer.Argument(help="Pattern it belongs to.")],
) -> None:
    """Pin a signal or custom-work item to a pattern (kept across runs).

    Example: tower patterns pin signal:sig-000042 P0003
    """
    from controltower.synthesize.curate import pin_item

    with _open() as workspace:
        pin_item(workspace, item, pattern_id)
    out.print(f"Pinned {item} to {pattern_id}")


def main() -> None:
    """Entry point of the ``tower`` console script."""
    app()


_SORT_KEYS = ("p50", "rice", "wsjf", "ice", "value-effort", "scorecard")


def _money(value: float) -> str:
    return f"{value / 1e6:,.2f}M" if abs(value) >= 1e6 else f"{value / 1e3:,.0f}k"


@app.command()
@handle_errors
def value(
    by: Annotated[
        str, typer.Option("--by", help="Sort by p50, rice, wsjf, ice, value-effort or scorecard.")
    ] = "p50",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    seed: Annotated[int | None, typer.Option(help="Monte Carlo seed (default value.seed).")] = None,
) -> None:
    """Value every candidate: P10-P90 value, ROI, framework ranks, readiness, stances.

    Example: tower -w ./acme-q1 value --by wsjf
    """
    from controltower.errors import InputError
    from controltower.value import evaluate

    if by not in _SORT_KEYS:
        raise InputError(f"--by must be one of {', '.join(_SORT_KEYS)}; got {by!r}")
    with _open() as workspace:
        evaluation = evaluate(workspace, seed=seed)
    if as_json:
        out.print_json(evaluation.model_dump_json())
        return
    candidates = list(evaluation.candidates)
    if by != "p50":
        candidates.sort(key=lambda c: (c.scores.ranks.get(by) or 10**9, c.id))
    table = Table(title=f"{len(candidates)} candidates by {by} (seed {evaluation.seed})")
    table.add_column("id", no_wrap=True)
    table.add_column("name", max_width=28, overflow="ellipsis", no_wrap=True)
    table.add_column("P50", justify="right", no_wrap=True)
    table.add_column("P10-P90", justify="right", no_wrap=True)
    table.add_column("ROI", justify="right", no_wrap=True)
    table.add_column("ranks R/W/I/VE/S", no_wrap=True)
    table.add_column("readiness", no_wrap=True)
    table.add_column("stances F/SA/AI/ML/PE/L", no_wrap=True)
    for c in candidates:
        ranks = c.scores.ranks
        table.add_row(
            c.id + (" ⚑" if c.flagged else ""),
            c.name,
            _money(c.value.p50) if c.value else c.status,
            f"{_money(c.value.p10)}-{_money(c.value.p90)}" if c.value else "-",
            f"{c.roi.p50:,.1f}x" if c.roi else "-",
            "/".join(
                str(ranks.get(f) or "-")
                for f in ("rice", "wsjf", "ice", "value-effort", "scorecard")
            ),
            c.readiness or "-",
            " ".join(f"{s.stance:+d}" for s in c.stances if s.source == "computed"),
        )
    out.print(table)
    for conflict in evaluation.conflicts:
        out.print(f"conflict {conflict.capability_id}: {conflict.summary}", highlight=False)


@app.command()
@handle_errors
def why(
    item_id: Annotated[str, typer.Argument(help="Candidate or pattern id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Explain a candidate or pattern: every term, its evidence ids and its reasons.

    Example: tower -w ./acme-q1 why cap-07
    """
    from controltower.value import explain

    with _open() as workspace:
        explanation = explain(workspace, item_id)
    if as_json:
        out.print_json(explanation.model_dump_json())
        return
    table = Table(title=f"{explanation.kind} {explanation.id}: {explanation.title}")
    table.add_column("term")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("how")
    table.add_column("evidence")
    for term in explanation.terms:
        shown = term.evidence_ids[:8]
        more = f" … +{len(term.evidence_ids) - 8}" if len(term.evidence_ids) > 8 else ""
        table.add_row(
            term.name, f"{term.value:,.4g}", term.unit, term.explanation, ", ".join(shown) + more
        )
    out.print(table)
    for reason in explanation.reasons:
        out.print(f"- {reason}", markup=False, highlight=False)


@app.command()
@handle_errors
def plan(
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    risk_averse: Annotated[
        bool, typer.Option("--risk-averse", help="Maximise P10 value instead of P50.")
    ] = False,
    scenario: Annotated[
        str | None, typer.Option(help="Plan with a named scenario's settings.")
    ] = None,
) -> None:
    """Value every candidate and optimize the roadmap: now, next, later, deferred, refused.

    Example: tower -w ./acme-q1 plan --json > plan.json
    """
    from controltower.plan import build_plan

    with _open() as workspace, _stage_progress() as progress:
        document, roadmap, _ = build_plan(
            workspace,
            scenario=scenario,
            risk_averse=risk_averse,
            progress=progress,
            on_synthesized=err.print,
        )
    if as_json:
        typer.echo(document.to_json())
        return
    teams = sorted({c.team for c in roadmap.capacity})
    for status in ("now", "next", "later"):
        chosen = [e for e in roadmap.entries if e.status == status]
        table = Table(title=f"{status} ({len(chosen)})")
        table.add_column("team", no_wrap=True)
        table.add_column("period", no_wrap=True)
        table.add_column("id", no_wrap=True)
        table.add_column("name", max_width=30, overflow="ellipsis", no_wrap=True)
        table.add_column("weeks", justify="right")
        table.add_column("value", justify="right")
        for team in teams:
            for e in (x for x in chosen if x.team == team):
                span = (e.period or "") + (f"..{e.end_period}" if e.end_period != e.period else "")
                table.add_row(
                    team,
                    span,
                    e.capability_id,
                    e.name,
                    f"{e.effort_weeks:g}",
                    _money(e.planned_value),
                )
        out.print(table)
    use = Table(title="capacity used / usable (weeks)")
    use.add_column("team", no_wrap=True)
    for period in roadmap.periods:
        use.add_column(period, justify="right", no_wrap=True)
    for team in teams:
        cells = {c.period: c for c in roadmap.capacity if c.team == team}
        use.add_row(team, *(f"{cells[p].used:g}/{cells[p].usable:g}" for p in roadmap.periods))
    out.print(use)
    for status in ("deferred", "refused"):
        rows = [e for e in roadmap.entries if e.status == status]
        if rows:
            out.print(f"[bold]{status}[/] ({len(rows)})")
        for e in rows:
            out.print(f"- {e.capability_id} {e.name}: {e.reason}", markup=False, highlight=False)
    meta = roadmap.meta
    out.print(
        f"solver {meta['status']}, gap {float(str(meta['gap'])):.4%}, "
        f"{float(str(meta['solve_seconds'])):.2f}s, objective {_money(roadmap.objective)} "
        f"({meta['value']}, balance {meta['balance']})",
        highlight=False,
    )


@app.command()
@handle_errors
def whynot(
    capability_id: Annotated[str, typer.Argument(help="A candidate left out of the roadmap.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    risk_averse: Annotated[
        bool, typer.Option("--risk-averse", help="Maximise P10 value instead of P50.")
    ] = False,
) -> None:
    """Why is a candidate not planned: what forcing it in costs, and what would bring it in.

    Example: tower -w ./acme-q1 whynot cap-07
    """
    from controltower.optimize import why_not

    with _open() as workspace:
        result = why_not(workspace, capability_id, risk_averse=risk_averse)
    if as_json:
        out.print_json(result.model_dump_json())
        return
    out.print(f"[bold]{capability_id}[/] ({result.status}): {result.reason}", highlight=False)
    if result.status not in ("deferred",):
        return
    if result.forced_feasible:
        out.print(
            f"Forced in, the plan loses {_money(result.value_lost)} of value; displaced: "
            f"{', '.join(result.displaced) or 'nothing'}",
            highlight=False,
        )
        for moved in result.moved:
            out.print(f"  moves: {moved['id']} {moved['from']} -> {moved['to']}", highlight=False)
    else:
        out.print(f"It cannot be forced in: {result.forced_reason}", highlight=False)
    if result.changes:
        out.print("Smallest changes that bring it in (each alone):")
    for change in result.changes:
        out.print(f"- {change.description}", highlight=False)


scenario_app = typer.Typer(
    help="Named settings overrides to compare roadmaps.\n\n"
    "Example: tower -w ./acme-q1 scenario compare base leverage",
    no_args_is_help=True,
)
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("new")
@handle_errors
def scenario_new(
    name: Annotated[str, typer.Argument(help="Scenario name (letters, digits, - and _).")],
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="A setting override: section.key=value (TOML value)."),
    ] = None,
) -> None:
    """Store a named settings override under scenarios/NAME.toml in the workspace.

    Example: tower -w ./acme-q1 scenario new leverage --set planning.balance=0.9
    """
    from controltower.optimize.scenario import new_scenario

    with _open() as workspace:
        path = new_scenario(workspace, name, assignments or [])
    out.print(f"Saved scenario {name} to {path}")


@scenario_app.command("compare")
@handle_errors
def scenario_compare(
    first: Annotated[str, typer.Argument(help="Scenario A ('base' for the workspace settings).")],
    second: Annotated[str, typer.Argument(help="Scenario B.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Compare the roadmaps of two scenarios: items that move, value and capacity use.

    Example: tower -w ./acme-q1 scenario compare base leverage
    """
    from controltower.optimize.scenario import compare_scenarios

    with _open() as workspace:
        comparison = compare_scenarios(workspace, first, second)
    if as_json:
        out.print_json(comparison.model_dump_json())
        return
    out.print(
        f"value {first} {_money(comparison.value_a)} vs {second} {_money(comparison.value_b)}; "
        f"planned {comparison.planned_a} vs {comparison.planned_b}",
        highlight=False,
    )
    table = Table(title=f"{len(comparison.moves)} item(s) move")
    for column in ("id", first, second):
        table.add_column(column, no_wrap=True)
    for move in comparison.moves:
        table.add_row(move.capability_id, move.a, move.b)
    out.print(table)
    use = Table(title="capacity used (weeks)")
    for column in ("team", first, second):
        use.add_column(column, justify="right", no_wrap=True)
    for team, (a, b) in comparison.capacity.items():
        use.add_row(team, f"{a:g}", f"{b:g}")
    out.print(use)
