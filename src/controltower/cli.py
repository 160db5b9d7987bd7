"""The ``tower`` command: thin Typer commands over library functions, rendered with Rich."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator, Sequence
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
from rich.text import Text

from controltower import __version__
from controltower.errors import BundleError, ControlTowerError
from controltower.export import export_workspace
from controltower.format import money
from controltower.ingest.bundle import ImportReport, import_bundle, validate_bundle
from controltower.sample import write_sample_bundle
from controltower.settings import iter_settings_help
from controltower.status import Status, workspace_status
from controltower.workspace import Workspace, init_workspace, open_workspace, resolve_path

if TYPE_CHECKING:
    from controltower.decisions import Decision, DecisionReview, Productization, TriggerCheck
    from controltower.diagnose.models import Adoption, Band, Economics, EconomicsPoint, Finding
    from controltower.synthesize.view import PatternView
    from controltower.value import PatternResult
    from controltower.value.lenses import RoleStance

app = typer.Typer(
    name="tower",
    help="Control Tower: the decision engine of the AI product manager.\n\n"
    "Example: tower init ./ws && tower -w ./ws import ./bundle && tower -w ./ws status",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
# Markup and emoji codes are off: names, texts and ids come from the user's files, where
# "[beta]" or ":100:" are plain text (styled output is built with Text.assemble).
out = Console(markup=False, emoji=False)
err = Console(stderr=True, emoji=False)

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


def _error(message: str) -> Text:
    return Text.assemble(("error:", "bold red"), " ", message)


def handle_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Map library errors to a message on stderr and the documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except BundleError as exc:
            err.print(_error(exc.args[0].splitlines()[0]), highlight=False)
            for problem in exc.problems:
                err.print(str(problem), highlight=False)
            if exc.total > len(exc.problems):
                err.print(f"… and {exc.total - len(exc.problems)} more problem(s)")
            raise typer.Exit(exc.exit_code) from exc
        except ControlTowerError as exc:
            err.print(_error(str(exc)), highlight=False)
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
        changed = report.settings_changed
        verb = "changed" if report.written else "would change"
        said = f"{len(changed)} setting(s) {verb}: {'; '.join(changed)}" if changed else "unchanged"
        out.print(f"workspace.toml: settings {'imported' if report.written else 'valid'}, {said}")
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
    _print_productization(status.productization)


def _print_productization(result: Productization | None) -> None:
    if result is None:
        out.print("Productization: measured once patterns are synthesized (`tower synthesize`)")
        return
    share = (
        f"{result.give_back_share:.0%} of {result.engagements_judged} engagements judged"
        if result.give_back_share is not None
        else "no engagement judged yet"
    )
    out.print(
        f"Productization: {result.rate:.1%} of {result.bespoke_hours:,.0f} bespoke FDE hours "
        f"became platform capability; {share} gave one back within {result.window_days} days",
        highlight=False,
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
    shown.update(
        {
            v.id: f"merged into {v.merged_into}" if v.merged_into else v.status
            for v in views
            if v.status != "active"
        }
    )
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
    out.print(
        Text.assemble(
            (view.id, "bold"), f" {view.label}  ({view.status}, label {view.label_source})"
        )
    )
    out.print("Key phrases: " + ", ".join(view.key_phrases))
    for reason in view.reasons:
        out.print(f"- {reason}")
    for quote in view.representatives:
        out.print(f'  "{quote.text}" ({quote.kind} {quote.id}, {quote.account_id})')
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


def _print_deals(deals: object) -> None:
    """The bundle value mode's account deals: how many close, and why the blocked never can."""
    if not isinstance(deals, list) or not deals:
        return
    closed = [d for d in deals if d.get("completed")]
    out.print(
        Text.assemble(("deals", "bold"), f": {len(closed)} of {len(deals)} close within the plan")
    )
    for deal in deals:
        if deal.get("blocked"):
            out.print(
                f"- {deal['account_id']} can never close: {deal['blocked']}",
                highlight=False,
            )


_ROADMAP_COLUMNS = ("team", "period", "id", "name", "weeks", "value")


def _fitted_table(title: str, rows: Sequence[tuple[str, ...]], width: int) -> Table:
    """A now/next/later table whose name column takes the room the other columns leave.

    Every other column keeps its content's width, so on a narrow terminal the name is cut
    (with an ellipsis) rather than the ids and numbers.
    """
    table = Table(title=title)
    fixed = [
        max([len(name), *(len(row[k]) for row in rows)])
        for k, name in enumerate(_ROADMAP_COLUMNS)
        if name != "name"
    ]
    room = width - sum(fixed) - 3 * len(_ROADMAP_COLUMNS) - 1
    for name in _ROADMAP_COLUMNS:
        if name == "name":
            table.add_column(
                name, max_width=max(8, min(30, room)), overflow="ellipsis", no_wrap=True
            )
        elif name in ("weeks", "value"):
            table.add_column(name, justify="right", no_wrap=True)
        else:
            table.add_column(name, no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def _stance_cells(stances: Sequence[RoleStance]) -> str:
    """One stance per role in ROLES order: the entered one (marked *) over the computed."""
    from controltower.value.lenses import ROLES

    cells = []
    for role in ROLES:
        entered = [s for s in stances if s.role == role and s.source == "entered"]
        computed = [s for s in stances if s.role == role and s.source == "computed"]
        if entered:
            cells.append(f"{round(sum(s.stance for s in entered) / len(entered)):+d}*")
        else:
            cells.append(f"{computed[0].stance:+d}" if computed else "·")
    return " ".join(cells)


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
    candidates = list(evaluation.candidates)
    if by != "p50":
        candidates.sort(key=lambda c: (c.scores.ranks.get(by) or 10**9, c.id))
    if as_json:
        out.print_json(evaluation.model_copy(update={"candidates": candidates}).model_dump_json())
        return
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
            money(c.value.p50) if c.value else c.status,
            f"{money(c.value.p10)}-{money(c.value.p90)}" if c.value else "-",
            f"{c.roi.p50:,.1f}x" if c.roi else "-",
            "/".join(
                str(ranks.get(f) or "-")
                for f in ("rice", "wsjf", "ice", "value-effort", "scorecard")
            ),
            c.readiness or "-",
            _stance_cells(c.stances),
        )
    out.print(table)
    if any(s.source == "entered" for c in candidates for s in c.stances):
        out.print("* entered in stances.csv (it stands instead of the computed stance)")
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
    from controltower.decisions import subject_history
    from controltower.value import explain

    with _open() as workspace:
        explanation = explain(workspace, item_id)
        history = subject_history(workspace, item_id)
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
        out.print(f"- {reason}", highlight=False)
    if history:
        out.print(Text.assemble((f"Decisions on {item_id}", "bold"), f" ({len(history)})"))
        _print_timeline(history)


_SEVERITY_STYLE = {"critical": "bold red", "warn": "yellow", "info": "cyan"}


def _severity(severity: str) -> Text:
    return Text(severity, style=_SEVERITY_STYLE[severity])


def _print_finding_list(findings: Sequence[Finding]) -> None:
    """Findings as a short list, worst first: severity, code, metric and remedy."""
    out.print(
        Text.assemble(
            ("diagnostics", "bold"), f" ({len(findings)}, worst first; details: tower diagnose)"
        )
    )
    for f in findings:
        out.print(
            Text.assemble(
                "- ",
                _severity(f.severity),
                f" {f.code}: {f.metric} {f.value:.3g} (threshold {f.threshold:.3g})",
            ),
            highlight=False,
        )
        out.print(f"  remedy: {f.remedy}", highlight=False)


def _print_economics_summary(economics: Economics | None, findings: Sequence[Finding]) -> None:
    """The escape point and the first and last period's hours per new deployment.

    When the high-touch-trap check fired, the escape point says so (hours that fall from
    it, by less than the check needs, are no escape).
    """
    if economics is None or not economics.periods:
        return
    trap = next((f for f in findings if f.code == "high-touch-trap"), None)
    caveat = (
        f" (falling {-trap.value:.0%}, short of the {-trap.threshold:.0%} the high-touch-trap "
        "check needs)"
        if trap is not None and economics.escape_period is not None
        else ""
    )
    first, last = economics.periods[0], economics.periods[-1]

    def hours(point: EconomicsPoint) -> str:
        return f"{point.fde_hours_per_new_deployment.p50:,.0f}"

    out.print(
        Text.assemble(
            f"FDE hours per new deployment (P50) {first.period} -> {last.period}: "
            f"{hours(first.with_plan)} -> {hours(last.with_plan)} with the plan, "
            f"{hours(first.without_plan)} -> {hours(last.without_plan)} without; escape point: ",
            (economics.escape_period or "none", "bold"),
            f"{caveat} (tower economics)",
        ),
        highlight=False,
    )


def _print_adoption_flags(adoption: Adoption | None) -> None:
    """Shipped capabilities not adopted: the pattern may have been misread."""
    if adoption is None:
        return
    for capability in adoption.capabilities:
        if capability.capability_id in adoption.flagged:
            out.print(
                f"adoption: {capability.capability_id} {capability.name}: {capability.reason}",
                highlight=False,
            )


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
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write the report into this folder: report.html (self-contained), "
            "report.md and charts/*.svg.",
        ),
    ] = None,
    audience: Annotated[
        str,
        typer.Option(help="Report audience: full, exec, engineering, fde or customer."),
    ] = "full",
    llm_url: Annotated[
        str | None,
        typer.Option(
            "--llm-url",
            help="OpenAI-compatible endpoint that writes the report's narrative (off by "
            "default; API key from $TOWER_LLM_API_KEY).",
        ),
    ] = None,
    llm_model: Annotated[
        str | None, typer.Option("--llm-model", help="Model name for --llm-url.")
    ] = None,
) -> None:
    """Value every candidate and optimize the roadmap: now, next, later, deferred, refused.

    With --report DIR, also write the report for an audience (see README, "The report").

    Example: tower -w ./acme-q1 plan --json > plan.json
    """
    from controltower.plan import build_plan
    from controltower.report import check_report_options, report_plan

    with _open() as workspace, _stage_progress() as progress:
        if report is not None:
            check_report_options(
                workspace, audience=audience, llm_url=llm_url, llm_model=llm_model, out_dir=report
            )
        document, roadmap, _ = build_plan(
            workspace,
            scenario=scenario,
            risk_averse=risk_averse,
            progress=progress,
            on_synthesized=err.print,
        )
        written = (
            report_plan(
                workspace,
                document,
                report,
                audience=audience,
                llm_url=llm_url,
                llm_model=llm_model,
            )
            if report is not None
            else None
        )
    if written is not None and written.note:
        err.print(written.note, highlight=False)
    if as_json:
        typer.echo(document.to_json())
        if written is not None:
            err.print(f"Report: {written.html}", highlight=False)
        return
    teams = sorted({c.team for c in roadmap.capacity})
    for status in ("now", "next", "later"):
        chosen = [e for e in roadmap.entries if e.status == status]
        lines = [
            (
                e.team or "",
                (e.period or "") + (f"..{e.end_period}" if e.end_period != e.period else ""),
                e.capability_id,
                e.name,
                f"{e.effort_weeks:g}",
                money(e.planned_value),
            )
            for team in teams
            for e in chosen
            if e.team == team
        ]
        out.print(_fitted_table(f"{status} ({len(chosen)})", lines, out.width))
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
            out.print(Text.assemble((status, "bold"), f" ({len(rows)})"))
        for e in rows:
            out.print(f"- {e.capability_id} {e.name}: {e.reason}", highlight=False)
    _print_deals(document.meta.get("bundles"))
    _print_revisit(document.decisions)
    _print_productization(document.productization)
    _print_finding_list(document.diagnostics)
    _print_economics_summary(document.economics, document.diagnostics)
    _print_adoption_flags(document.adoption)
    meta = roadmap.meta
    out.print(
        f"solver {meta['status']}, gap {float(str(meta['gap'])):.4%}, "
        f"{float(str(meta['solve_seconds'])):.2f}s, objective {money(roadmap.objective)} "
        f"({meta['value']}, balance {meta['balance']})",
        highlight=False,
    )
    outside = meta.get("capacity_outside_periods")
    if isinstance(outside, list) and outside:
        out.print(
            f"teams.csv capacity outside the planning periods, not used: {', '.join(outside)} "
            "(planning.periods)",
            highlight=False,
        )
    if written is not None:
        out.print(
            f"Report ({written.audience}): {written.html}  (Markdown: {written.markdown})",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
@handle_errors
def whynot(
    capability_id: Annotated[str, typer.Argument(help="A candidate left out of the roadmap.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    risk_averse: Annotated[
        bool, typer.Option("--risk-averse", help="Maximise P10 value instead of P50.")
    ] = False,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Ask within a named scenario's settings.")
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            help="Seconds each solve may take (default: optimize.time_limit_seconds); a "
            "solve it cuts off makes the answer say it is not exact.",
        ),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            min=1.0,
            help="Seconds its re-solves may take together (after the plan's own solve); the "
            "searches stop where it runs out and the answer says it is not exact.",
        ),
    ] = None,
) -> None:
    """Why is a candidate not planned: what forcing it in costs, and what would bring it in.

    Example: tower -w ./acme-q1 whynot cap-07 --scenario leverage
    """
    from controltower.optimize import why_not
    from controltower.optimize.scenario import scenario_workspace, with_settings

    with _open() as workspace:
        view = scenario_workspace(workspace, scenario) if scenario else workspace
        if time_limit is not None:
            limit = {"optimize": {"time_limit_seconds": time_limit}}
            view = with_settings(view, limit, "--time-limit")
        result = why_not(view, capability_id, risk_averse=risk_averse, budget=budget)
    if as_json:
        out.print_json(result.model_dump_json())
        return
    out.print(
        Text.assemble((capability_id, "bold"), f" ({result.status}): {result.reason}"),
        highlight=False,
    )
    if result.status not in ("deferred",):
        return
    if result.forced_feasible:
        out.print(
            f"Forced in, the plan loses {money(result.value_lost)} of value; displaced: "
            f"{', '.join(result.displaced) or 'nothing'}",
            highlight=False,
        )
        if result.added:
            out.print(f"  also brings in: {', '.join(result.added)}", highlight=False)
        for moved in result.moved:
            out.print(f"  moves: {moved['id']} {moved['from']} -> {moved['to']}", highlight=False)
    else:
        out.print(f"It cannot be forced in: {result.forced_reason}", highlight=False)
    if result.changes:
        out.print("Smallest changes that bring it in (each alone):")
    for change in result.changes:
        out.print(f"- {change.description}", highlight=False)
    if result.basis:
        out.print(result.basis, style=None if result.exact else "yellow", highlight=False)


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
    """Compare two scenarios: items that move, value, capacity, diagnostics, escape point.

    Example: tower -w ./acme-q1 scenario compare base leverage
    """
    from controltower.optimize.scenario import compare_scenarios

    with _open() as workspace:
        comparison = compare_scenarios(workspace, first, second)
    if as_json:
        out.print_json(comparison.model_dump_json())
        return
    out.print(
        f"value {first} {money(comparison.value_a)} vs {second} {money(comparison.value_b)} "
        f"(each by its own settings); planned {comparison.planned_a} vs {comparison.planned_b}",
        highlight=False,
    )
    for judge, mine, theirs, other, broken in (
        (first, comparison.value_a, comparison.value_b_by_a, second, comparison.b_breaks_a),
        (second, comparison.value_a_by_b, comparison.value_b, first, comparison.a_breaks_b),
    ):
        if broken is not None:
            out.print(
                f"by {judge}'s settings: {other}'s plan is not a plan ({broken})", highlight=False
            )
        elif mine is not None and theirs is not None:
            out.print(
                f"by {judge}'s settings: {first} {money(mine)} vs {second} {money(theirs)}",
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
    hours_a, hours_b = comparison.hours_per_new_deployment
    out.print(
        f"escape point {first} {comparison.escape_a or 'none'} vs {second} "
        f"{comparison.escape_b or 'none'}; FDE hours per new deployment at the horizon's end "
        f"{hours_a:,.0f} vs {hours_b:,.0f}",
        highlight=False,
    )
    found = Table(title=f"{len(comparison.diagnostics)} diagnostic finding(s)")
    for column in ("code", "subjects", first, second):
        found.add_column(column, no_wrap=column != "subjects")
    for diff in comparison.diagnostics:
        found.add_row(
            diff.code, ", ".join(diff.subjects), diff.severity_a or "-", diff.severity_b or "-"
        )
    out.print(found)


def _print_findings(findings: Sequence[Finding], where: str, evidence: int) -> None:
    """A table of findings, worst first, with remedies and the first evidence ids."""
    table = Table(title=f"{len(findings)} finding(s) {where}")
    table.add_column("severity", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("value vs threshold", justify="right")
    table.add_column("finding")
    table.add_column("remedy")
    table.add_column("evidence")
    for f in findings:
        more = f" +{len(f.evidence) - evidence}" if len(f.evidence) > evidence else ""
        table.add_row(
            _severity(f.severity),
            f.code,
            f"{f.value:.3g} vs {f.threshold:.3g}",
            Text(f"{f.metric}: {f.message}"),
            Text(f.remedy),
            Text(", ".join(f.evidence[:evidence]) + more),
        )
    out.print(table)


@app.command()
@handle_errors
def diagnose(
    as_json: Annotated[bool, typer.Option("--json", help="Print the diagnosis as JSON.")] = False,
    roadmap: Annotated[
        Path | None,
        typer.Option(
            "--roadmap", help="Audit this roadmap CSV (capability_id, period, team) instead."
        ),
    ] = None,
    evidence: Annotated[
        int, typer.Option(help="Evidence ids shown per finding in the table.", min=0)
    ] = 6,
) -> None:
    """Catch the PM failure modes on the roadmap: findings worst first, with remedies.

    Example: tower -w ./acme-q1 diagnose --roadmap ./my-roadmap.csv
    """
    from controltower.diagnose.audit import diagnose_workspace
    from controltower.diagnose.models import CODES

    with _open() as workspace, _stage_progress() as progress:
        result = diagnose_workspace(
            workspace, roadmap_file=roadmap, progress=progress, on_synthesized=err.print
        )
    if as_json:
        typer.echo(result.model_dump_json())
        return
    _print_findings(result.findings, f"on {result.roadmap_source}", evidence)
    skipped = [code for code in CODES if code not in result.checked]
    if skipped:
        out.print(f"not checked (no input for them): {', '.join(skipped)}", highlight=False)


_BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"


def _bar(value: float, top: float, width: int = 40) -> str:
    """A horizontal bar of ``value`` on a scale where ``top`` fills ``width`` cells."""
    eighths = round(8 * width * value / top) if top > 0 else 0
    full, rest = divmod(max(0, eighths), 8)
    return "█" * full + (_BAR_EIGHTHS[rest] if rest else "")


def _band(band: Band | None, fmt: str = ",.0f", *, ranges: bool = False) -> str:
    if band is None:
        return "n/a"
    shown = f"{band.p50:{fmt}}"
    return f"{shown} [{band.p10:{fmt}}–{band.p90:{fmt}}]" if ranges else shown


def _money_band(band: Band, *, ranges: bool = False) -> str:
    shown = money(band.p50)
    return f"{shown} [{money(band.p10)}–{money(band.p90)}]" if ranges else shown


@app.command()
@handle_errors
def economics(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ranges: Annotated[
        bool, typer.Option("--ranges", help="Show P10–P90 beside each P50 (a wide table).")
    ] = False,
) -> None:
    """FDE economics per period with the roadmap and without it, and the escape point.

    New deployments, FDE hours, hours per new deployment, headcount, FDE cost (COGS) and
    gross margin as P50 (with --ranges: P50 [P10–P90]); a chart of hours per new
    deployment; every assumption with its source. docs/economics.md explains the model.

    Example: tower -w ./acme-q1 economics --json > economics.json
    """
    from controltower.diagnose.economics import compute_economics
    from controltower.plan import build_plan

    with _open() as workspace, _stage_progress() as progress:
        document, roadmap, evaluation = build_plan(
            workspace, progress=progress, on_synthesized=err.print
        )
        result = document.economics or compute_economics(workspace, evaluation, roadmap.entries)
    if as_json:
        typer.echo(result.model_dump_json())
        return
    shown = "P50 [P10–P90]" if ranges else "P50"
    for title, side in (
        ("with the roadmap", "with_plan"),
        ("without it (shipped only)", "without_plan"),
    ):
        table = Table(title=f"FDE economics {title}: {shown}")
        table.add_column("period", no_wrap=True, min_width=7)
        for column in ("new deps", "FDE hours", "h / new dep", "FDEs", "FDE cost", "margin"):
            table.add_column(column, justify="right", no_wrap=True)
        for period in result.periods:
            point = getattr(period, side)
            table.add_row(
                period.period,
                _band(point.new_deployments, ",.1f", ranges=ranges),
                _band(point.fde_hours, ranges=ranges),
                _band(point.fde_hours_per_new_deployment, ranges=ranges),
                _band(point.fde_headcount, ",.1f", ranges=ranges),
                _money_band(point.fde_cost, ranges=ranges),
                _band(point.gross_margin, ".1%", ranges=ranges),
            )
        out.print(table)
    out.print(
        Text.assemble(
            "Escape point (FDE hours per new deployment start falling for good): ",
            (result.escape_period or "none", "bold"),
            f" with the roadmap, {result.escape_period_without or 'none'} without it",
        ),
        highlight=False,
    )
    top = max(
        (
            max(
                p.with_plan.fde_hours_per_new_deployment.p50,
                p.without_plan.fde_hours_per_new_deployment.p50,
            )
            for p in result.periods
        ),
        default=0.0,
    )
    out.print("FDE hours per new deployment, P50 (█ with the roadmap, ░ without):")
    for period in result.periods:
        with_p50 = period.with_plan.fde_hours_per_new_deployment.p50
        without_p50 = period.without_plan.fde_hours_per_new_deployment.p50
        out.print(f"{period.period:>8} {_bar(with_p50, top)} {with_p50:,.0f}", highlight=False)
        out.print(
            Text.assemble(
                f"{'':>8} ",
                (_bar(without_p50, top).replace("█", "░"), "dim"),
                f" {without_p50:,.0f}",
            ),
            highlight=False,
        )
    out.print(f"Assumptions ({result.draws} draws, seed {result.seed}):")
    for line in result.assumptions:
        out.print(f"- {line}", highlight=False)


@app.command()
@handle_errors
def adoption(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Adoption of shipped capabilities from usage.csv, against the target; flags the misses.

    Example: tower -w ./acme-q1 adoption --json
    """
    from controltower.diagnose.adoption import track_adoption
    from controltower.value import evaluate

    with _open() as workspace:
        result = track_adoption(workspace, evaluate(workspace))
    if as_json:
        typer.echo(result.model_dump_json())
        return
    table = Table(
        title=f"Adoption of {len(result.capabilities)} capabilities shipped or in use (usage.csv)"
    )
    table.add_column("id", no_wrap=True)
    table.add_column("name", max_width=30, overflow="ellipsis", no_wrap=True)
    table.add_column("shipped", no_wrap=True)
    table.add_column("adopted / eligible", justify="right", no_wrap=True)
    table.add_column("target", justify="right", no_wrap=True)
    table.add_column("median days", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for c in result.capabilities:
        now = c.curve[-1] if c.curve else None
        table.add_row(
            c.capability_id + (" ⚑" if c.capability_id in result.flagged else ""),
            c.name,
            str(c.shipped or "-"),
            f"{now.accounts if now else 0} / {len(c.eligible_accounts)} "
            f"({now.share if now else 0.0:.0%})",
            f"{c.target_share:.0%} in {c.target_days} d",
            f"{c.median_days_to_adopt:g}" if c.median_days_to_adopt is not None else "-",
            c.status,
        )
    out.print(table)
    if result.flagged:
        out.print(
            Text.assemble(("flagged", "bold"), f" ({len(result.flagged)}): shipped but not adopted")
        )
    for c in result.capabilities:
        if c.capability_id in result.flagged:
            out.print(f"- {c.capability_id} {c.name}: {c.reason}", highlight=False)


# --- decision log ------------------------------------------------------------------------


def _interactive() -> bool:
    """Whether a person is at the terminal to answer prompts."""
    import sys

    return sys.stdin.isatty()


def _ask_decision(
    choice: str | None, why: str | None, triggers: list[str]
) -> tuple[str, str, list[str]]:
    """Prompt for what ``tower decide`` was not given (only at a terminal)."""
    from controltower.errors import InputError

    if choice is not None and why is not None:
        return choice, why, triggers
    if not _interactive():
        raise InputError(
            "--choice and --why are required when no terminal can answer prompts; e.g. "
            "tower decide cap-07 --choice refuse --why '…'"
        )
    choice = choice or typer.prompt(
        "Choice (build, defer, refuse, standardize, keep-custom, watch or free text)"
    )
    why = why or typer.prompt("Why")
    while not triggers:
        answer = typer.prompt(
            "Reopen trigger, e.g. pattern.accounts >= 8 (empty: none)",
            default="",
            show_default=False,
        )
        if not answer.strip():
            break
        triggers = [answer]
    return choice, why, triggers


def _figure(field: str, value: float | None) -> str:
    """A trigger field's value as the PM reads it: money as money, counts as counts."""
    if value is None:
        return "-"
    if field.endswith(".arr") or ".value_" in field:
        return money(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _print_checks(checks: list[TriggerCheck]) -> None:
    for check in checks:
        moved = ", ".join(
            f"{f.field} {_figure(f.field, f.at_decision)} -> {_figure(f.field, f.now)}"
            for f in check.figures
        )
        today = f"today {check.today}" if check.today else ""
        detail = "; ".join(part for part in (moved, today, check.reason) if part)
        out.print(
            f"  trigger {check.status}: {check.expression}" + (f" ({detail})" if detail else ""),
            highlight=False,
        )


def _print_timeline(history: list[Decision]) -> None:
    replaced = {d.supersedes: d.decision_id for d in history if d.supersedes}
    for d in history:
        state = (
            f"superseded by {replaced[d.decision_id]}" if d.decision_id in replaced else "standing"
        )
        out.print(
            f"{d.decided_on} {d.decision_id} {d.choice} by {d.decided_by} ({state}): {d.rationale}",
            highlight=False,
        )
        dissent = d.dissent()
        if dissent:
            out.print(
                "  dissent: " + "; ".join(f"{p.role} {p.stance:+d} {p.text}" for p in dissent),
                highlight=False,
            )


def _print_revisit(review: DecisionReview | None) -> None:
    if review is None or not review.to_revisit:
        return
    out.print(
        Text.assemble(
            ("to revisit", "bold"), f" ({len(review.to_revisit)}): a reopen trigger fired"
        )
    )
    for state in review.to_revisit:
        out.print(
            f"- {state.decision_id} {state.subject} {state.choice} ({state.decided_on})",
            highlight=False,
        )
        _print_checks([c for c in state.triggers if c.status == "fired"])


@app.command()
@handle_errors
def decide(
    subject: Annotated[str, typer.Argument(help="Candidate, pattern or request (signal) id.")],
    choice: Annotated[
        str | None,
        typer.Option(
            "--choice",
            help="build, defer, refuse, standardize, keep-custom, watch, or free text.",
        ),
    ] = None,
    why: Annotated[str | None, typer.Option("--why", help="The rationale.")] = None,
    trigger: Annotated[
        list[str] | None,
        typer.Option("--trigger", help="A reopen trigger (repeatable): pattern.accounts >= 8."),
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="An option considered (repeatable).")
    ] = None,
    question: Annotated[str | None, typer.Option(help="The question decided.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decided (default: $USER).")] = None,
    position: Annotated[
        list[str] | None,
        typer.Option(
            "--position",
            help="A role's position role=stance:text, stance -2 (blocks) to 2 (repeatable).",
        ),
    ] = None,
    supersedes: Annotated[
        str | None,
        typer.Option(help="Decision replaced (default: the subject's standing decision)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Record a product decision with its evidence, each role's position and reopen triggers.

    The evidence at the time (ids, value P10/P50/P90, accounts, ARR, FDE hours, role
    stances) is taken from the live analysis. The log is append-only: a new decision on a
    subject supersedes its standing one. Without --choice and --why, asks at a terminal.

    Choices: build, defer, refuse, standardize, keep-custom, watch, or free text. A standing
    refuse keeps a candidate out of the roadmap until a new decision reopens it; a defer
    keeps it out until reopened or one of its triggers fires.

    Triggers are conditions on live figures; when one fires the decision is listed to
    revisit (tower decisions, tower plan). Fields: pattern.accounts, pattern.arr,
    pattern.fde_hours, pattern.signals, candidate.value_p10, candidate.value_p50,
    candidate.value_p90, candidate.accounts, candidate.arr, candidate.fde_hours. Also:
    at_decision (that field's value when decided), today, dates as date("2027-03-01") or
    "2027-03-01", numbers (8, 2e6). Operators: < <= > >= == !=, + - * /, and, or, not,
    parentheses. Nothing else is accepted (no calls, attributes, subscripts or other
    strings). Reference: docs/decisions.md.

    Example: tower -w ./acme-q1 decide cap-07 --choice refuse --why "one account asks"
    --trigger "pattern.accounts >= 8" --trigger "candidate.value_p50 > 1.5 * at_decision"
    """
    import os

    from controltower.decisions import parse_position, record_decision

    choice, why, triggers = _ask_decision(choice, why, list(trigger or []))
    positions = [parse_position(text) for text in position or []]
    with _open() as workspace:
        decision = record_decision(
            workspace,
            subject,
            choice=choice,
            rationale=why,
            decided_by=by or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown",
            triggers=triggers,
            options=option or [],
            question=question,
            positions=positions,
            supersedes=supersedes,
        )
    if as_json:
        typer.echo(decision.model_dump_json())
        return
    replaced = f" (supersedes {decision.supersedes})" if decision.supersedes else ""
    out.print(
        f"Recorded {decision.decision_id} on {decision.subject_kind} {decision.subject}: "
        f"{decision.choice}{replaced}",
        highlight=False,
    )
    figures = ", ".join(
        f"{k} {_figure(k, v)}" for k, v in sorted(decision.evidence.figures.items())
    )
    out.print(f"Evidence: {figures or 'no figures'}", highlight=False)
    for text in decision.triggers:
        out.print(f"Reopen when: {text}", highlight=False)


decisions_app = typer.Typer(
    help="The decision log: standing decisions, those to revisit, a subject's history.\n\n"
    "Example: tower -w ./acme-q1 decisions --subject cap-07",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(decisions_app, name="decisions")


@decisions_app.callback()
@handle_errors
def decisions(
    ctx: typer.Context,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Show this subject's history as a timeline.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the standing decisions and those to revisit (a reopen trigger fired).

    Example: tower -w ./acme-q1 decisions --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from controltower.decisions import review_workspace, subject_history

    if subject is not None:
        with _open() as workspace:
            history = subject_history(workspace, subject)
        if as_json:
            typer.echo(json.dumps([d.model_dump(mode="json") for d in history]))
            return
        out.print(
            Text.assemble((subject, "bold"), f": {len(history)} decision(s)"), highlight=False
        )
        _print_timeline(history)
        return
    with _open() as workspace:
        review = review_workspace(workspace)
    if as_json:
        typer.echo(review.model_dump_json())
        return
    table = Table(
        title=f"{len(review.standing)} standing decision(s), {review.superseded} superseded"
    )
    for column in ("id", "date", "subject", "choice", "by", "triggers", "effect"):
        table.add_column(column, no_wrap=column != "effect")
    for state in review.standing:
        fired = sum(1 for c in state.triggers if c.status == "fired")
        table.add_row(
            state.decision_id,
            str(state.decided_on),
            state.subject,
            state.choice,
            state.decided_by,
            f"{fired}/{len(state.triggers)} fired",
            state.effect or "",
        )
    out.print(table)
    if not review.evaluated and review.standing:
        # Only decisions make the review evaluate: with none, "run synthesize" is no hint.
        out.print("Triggers on figures are unavailable until `tower synthesize` has run.")
    _print_revisit(review)


@decisions_app.command("show")
@handle_errors
def decisions_show(
    decision_id: Annotated[str, typer.Argument(help="Decision id, e.g. D0003.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one decision: question, options, choice, why, evidence, positions, triggers now.

    Example: tower -w ./acme-q1 decisions show D0003
    """
    from controltower.decisions import inspect_decision

    with _open() as workspace:
        detail = inspect_decision(workspace, decision_id)
    if as_json:
        typer.echo(detail.model_dump_json())
        return
    d = detail.decision
    state = f"superseded by {detail.superseded_by}" if detail.superseded_by else "standing"
    lines = [
        f"{d.decision_id} on {d.subject_kind} {d.subject} ({state})",
        f"Decided {d.decided_on} by {d.decided_by}"
        + (f", superseding {d.supersedes}" if d.supersedes else ""),
        f"Question: {d.question}",
        f"Options: {', '.join(d.options)}",
        f"Choice: {d.choice}",
        f"Why: {d.rationale}",
        "Evidence: "
        + "; ".join(
            [
                *(f"{k} {_figure(k, v)}" for k, v in sorted(d.evidence.figures.items())),
                *([f"readiness {d.evidence.readiness}"] if d.evidence.readiness else []),
                f"{len(d.evidence.account_ids)} accounts, {len(d.evidence.signal_ids)} "
                f"signals, {len(d.evidence.work_ids)} builds",
            ]
        ),
    ]
    lines += [
        f"Stance then: {s.role} {s.stance:+d} ({s.source}): {s.reason}" for s in d.evidence.stances
    ]
    dissent = {p.role for p in detail.dissent}
    lines += [
        f"Position: {p.role} {p.stance:+d}{' (dissent)' if p.role in dissent else ''}: {p.text}"
        for p in d.positions
    ]
    for line in lines:
        out.print(line, highlight=False)
    _print_checks(detail.triggers)


@decisions_app.command("note")
@handle_errors
def decisions_note(
    key: Annotated[str, typer.Argument(help="A decision id, or a subject with a decision.")],
    account: Annotated[
        str | None,
        typer.Option("--account", help="The customer to write to (a request's own by default)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write the 'why not yet' note for the customer who asked: no other customer named.

    For a refuse, defer, watch or keep-custom decision; the note states the decision, the
    reason from the analysis in plain words and what would reopen it, never the internal
    rationale.

    Example: tower -w ./acme-q1 decisions note sig-000042
    """
    from controltower.decisions import customer_note

    with _open() as workspace:
        note = customer_note(workspace, key, account_id=account)
    if as_json:
        typer.echo(note.model_dump_json())
        return
    out.print(note.text, highlight=False)
