"""Import and validate: idempotence, updates, and every class of bad input refused whole."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import small_bundle, snapshot, write_bundle, write_csv
from controltower.errors import BundleError, InputError
from controltower.ingest.bundle import import_bundle, validate_bundle
from controltower.workspace import Workspace, init_workspace, open_workspace


def refused(bundle: Path, workspace: Workspace) -> BundleError:
    """Import a bad bundle; check it is refused and the workspace is unchanged."""
    before = snapshot(workspace)
    with pytest.raises(BundleError) as caught:
        import_bundle(bundle, workspace=workspace)
    assert snapshot(workspace) == before
    with pytest.raises(BundleError):
        validate_bundle(bundle, workspace=workspace)
    return caught.value


def messages(error: BundleError) -> list[str]:
    return [str(problem) for problem in error.problems]


def test_import_then_reimport_changes_nothing(bundle: Path, workspace: Workspace) -> None:
    first = import_bundle(bundle, workspace=workspace)
    assert {f.file: f.inserted for f in first.files}["signals.csv"] == 3
    state = snapshot(workspace)
    second = import_bundle(bundle, workspace=workspace)
    assert all(f.inserted == 0 and f.updated == 0 for f in second.files)
    assert sum(f.unchanged for f in second.files) == first.rows
    assert snapshot(workspace) == state


def test_changed_row_updates_and_new_row_inserts(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    import_bundle(write_bundle(tmp_path / "b1", files), workspace=workspace)
    files["accounts"][1]["arr"] = "350000"
    files["accounts"].append(
        {
            "account_id": "a4",
            "name": "Delta",
            "segment": "smb",
            "industry": "retail",
            "tier": "3",
            "arr": "10000",
        }
    )
    report = import_bundle(write_bundle(tmp_path / "b2", files), workspace=workspace)
    accounts = next(f for f in report.files if f.file == "accounts.csv")
    assert (accounts.inserted, accounts.updated, accounts.unchanged) == (1, 1, 2)
    assert ("a2", "Beta Care", "mid-market", "healthcare", "2", "350000.0") in [
        row[:6] for row in snapshot(workspace)["accounts"]
    ]


def test_references_may_point_into_the_workspace(tmp_path: Path, workspace: Workspace) -> None:
    import_bundle(write_bundle(tmp_path / "b1"), workspace=workspace)
    later = {
        "accounts": [],
        "signals": [
            {
                "signal_id": "s9",
                "date": "2026-06-01",
                "source": "survey",
                "text": "More SSO please",
                "account_id": "a3",
            }
        ],
    }
    folder = tmp_path / "b2"
    folder.mkdir()
    write_csv(
        folder / "accounts.csv",
        [],
        header=["account_id", "name", "segment", "industry", "tier", "arr"],
    )
    write_csv(folder / "signals.csv", later["signals"])
    report = import_bundle(folder, workspace=workspace)
    assert report.files[-1].inserted == 1


@pytest.mark.parametrize(
    ("entity", "row", "column", "needle"),
    [
        ("accounts", 1, "arr", "expected a number like 1200"),
        ("accounts", 2, "segment", "'enterprise', 'mid-market' or 'smb'"),
        ("accounts", 0, "tier", "less than or equal to 3"),
        ("accounts", 0, "health", "less than or equal to 1"),
        ("signals", 1, "date", "ISO 8601"),
        ("signals", 2, "urgency", "less than or equal to 5"),
        ("signals", 0, "account_id", "not a known account"),
        ("signals", 1, "text", "required"),
        ("capabilities", 1, "depends_on", "not a known capabilit"),
        ("capabilities", 0, "effort_weeks", "effort_low"),
        ("deployments", 0, "ended", "before started"),
    ],
)
def test_bad_value_names_file_row_column(
    tmp_path: Path, workspace: Workspace, entity: str, row: int, column: str, needle: str
) -> None:
    files = small_bundle()
    bad = {
        ("accounts", "arr"): "lots",
        ("accounts", "segment"): "huge",
        ("accounts", "tier"): "7",
        ("accounts", "health"): "1.5",
        ("signals", "date"): "14/03/2026",
        ("signals", "urgency"): "9",
        ("signals", "account_id"): "nobody",
        ("signals", "text"): "   ",
        ("capabilities", "depends_on"): "c1;c404",
        ("capabilities", "effort_weeks"): "12",
        ("deployments", "ended"): "2025-01-01",
    }[(entity, column)]
    files[entity][row][column] = bad
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    line = row + 2
    assert any(
        m.startswith(f"{entity}.csv:{line}:{column}:") and needle in m for m in messages(error)
    ), messages(error)


@pytest.mark.parametrize(
    ("entity", "column", "cell", "needle"),
    [
        ("accounts", "arr", "1_000", "expected a number"),
        ("accounts", "arr", "1,000", "expected a number"),
        ("accounts", "tier", "1.0", "expected a whole number"),
        ("signals", "urgency", "3.0", "expected a whole number"),
        # implausible values: one stray year moved every trend and value (2099 for 2009),
        # a non-ISO shipping date planned shipped work again, an ARR of 1e300 left the
        # solver without a plan, an id with ';' could be named by no list
        ("signals", "date", "2099-01-01", "a date of evidence lies between 1990-01-01"),
        ("signals", "date", "9999-12-31", "a date of evidence lies between"),
        ("custom_work", "date", "0001-01-01", "a date of evidence lies between"),
        ("capabilities", "shipped", "20/04/2026", "not a shipping date: expected an ISO 8601"),
        ("capabilities", "shipped", "2026-04-31", "not a shipping date: day is out of range"),
        ("accounts", "arr", "1e300", "less than or equal to 10000000000000"),
        ("accounts", "account_id", "a;1", "an id cannot hold ';'"),
        ("signals", "signal_id", "s\x1b1", "an id cannot hold control characters"),
    ],
)
def test_a_bad_cell_is_refused_with_its_file_row_and_column(
    tmp_path: Path, workspace: Workspace, entity: str, column: str, cell: str, needle: str
) -> None:
    # Before, Python's own literals slipped through: 1_000 read as 1000, tier 1.0 as 1.
    files = small_bundle()
    files[entity][0][column] = cell
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert any(
        m.startswith(f"{entity}.csv:2:{column}:") and needle in m for m in messages(error)
    ), messages(error)


def test_every_problem_is_collected(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["accounts"][0]["tier"] = "0"
    files["signals"][2]["source"] = "pigeon"
    files["usage"][0]["value"] = "n/a"
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert [(p.file, p.row, p.column) for p in error.problems] == [
        ("accounts.csv", 2, "tier"),
        ("signals.csv", 4, "source"),
        ("usage.csv", 2, "value"),
    ]


def test_problems_are_capped_but_counted(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["signals"] = [
        {
            "signal_id": f"s{i}",
            "date": "2026-13-01",
            "source": "survey",
            "text": "x",
            "account_id": "a1",
        }
        for i in range(250)
    ]
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert len(error.problems) == 100
    assert error.total == 250


def test_duplicate_ids(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["signals"].append(dict(files["signals"][0]))
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert messages(error) == ["signals.csv:5:signal_id: duplicate id (signal_id='s1')"]


def test_composite_key_duplicates(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["teams"].append({"team": "core", "period": "2027-Q1", "capacity_weeks": "5"})
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert messages(error)[0] == ("teams.csv:5:team: duplicate id (team='core', period='2027-Q1')")
    files = small_bundle()
    files["usage"].append(dict(files["usage"][0]))
    error = refused(write_bundle(tmp_path / "u", files), workspace)
    # The cells as written, not datetime.date(...) reprs.
    assert "date='" in messages(error)[0] and "datetime" not in messages(error)[0]


def test_dependency_cycle(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["capabilities"][0]["depends_on"] = "c2"
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    (message,) = messages(error)
    assert message.startswith("capabilities.csv:")
    assert ":depends_on: dependency cycle:" in message
    assert "c1" in message and "c2" in message


def test_cycle_through_the_workspace_names_the_bundle_row(
    bundle: Path, tmp_path: Path, workspace: Workspace
) -> None:
    import_bundle(bundle, workspace=workspace)  # c2 depends on c1
    files = small_bundle()
    files["capabilities"] = [dict(files["capabilities"][0], depends_on="c2")]
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    (message,) = messages(error)
    assert message.startswith("capabilities.csv:2:depends_on: dependency cycle:")


@pytest.mark.parametrize(
    ("row", "change", "where"),
    [
        (1, {"excludes": "c3;c1"}, "capabilities.csv:3:excludes"),  # c2 needs and excludes c1
        (0, {"excludes": "c2"}, "capabilities.csv:3:depends_on"),  # c1 excludes its dependent
    ],
)
def test_prerequisite_that_excludes_its_dependent(
    tmp_path: Path, workspace: Workspace, row: int, change: dict[str, str], where: str
) -> None:
    files = small_bundle()
    files["capabilities"][row].update(change)
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert messages(error) == [
        f"{where}: c2 depends on c1 but the two exclude each other, so c2 could never be planned"
    ]


def test_prerequisite_in_the_workspace_that_excludes_its_dependent(
    bundle: Path, tmp_path: Path, workspace: Workspace
) -> None:
    import_bundle(bundle, workspace=workspace)
    files = small_bundle()
    files["capabilities"] = [dict(files["capabilities"][0], excludes="c2")]
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    (message,) = messages(error)
    assert message.startswith("capabilities.csv:2:excludes: c2 depends on c1 but")


def test_deployment_of_another_account(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["signals"][1]["deployment_id"] = "d1"
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert messages(error) == [
        "signals.csv:3:deployment_id: deployment 'd1' belongs to account 'a1', not 'a2'"
    ]


def test_missing_required_column(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    for row in files["signals"]:
        del row["source"]
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert messages(error)[0].startswith("signals.csv:1:source: required column is missing")


def test_missing_required_file(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    del files["signals"]
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert messages(error) == ["signals.csv:0:-: required file is missing from the bundle"]


@pytest.mark.parametrize(
    "name",
    [
        "Workspace.toml",
        "workspace.tml",
        "decisions.json",
        "workspace.toml.txt",  # Windows hides the extension it adds
        "usage.csv.txt",
        "themes.tsv",
        "Accounts.CSV",
    ],
)
def test_a_misnamed_settings_or_decision_file_is_refused(
    tmp_path: Path, workspace: Workspace, name: str
) -> None:
    folder = write_bundle(tmp_path / "b")
    (folder / name).write_text("[planning]\nbalance = 0.7\n", encoding="utf-8")
    error = refused(folder, workspace)
    # Before, it was skipped without a word and its settings or decisions never applied.
    assert messages(error)[0].startswith(f"{name}:0:-: not read: the file must be named")


def test_unknown_csv_file(tmp_path: Path, workspace: Workspace) -> None:
    folder = write_bundle(tmp_path / "b")
    (folder / "signal.csv").write_text("signal_id\n", encoding="utf-8")
    error = refused(folder, workspace)
    assert messages(error)[0].startswith("signal.csv:0:-: not a file of the import contract")


def test_empty_file(tmp_path: Path, workspace: Workspace) -> None:
    folder = write_bundle(tmp_path / "b")
    (folder / "themes.csv").write_bytes(b"")
    error = refused(folder, workspace)
    assert messages(error) == ["themes.csv:0:-: the file is empty: a header row is required"]


def test_non_utf8_bytes(tmp_path: Path, workspace: Workspace) -> None:
    folder = write_bundle(tmp_path / "b")
    lines = (folder / "signals.csv").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"PII leaked", b"PII leak\xe9d")
    (folder / "signals.csv").write_bytes(b"\n".join(lines))
    error = refused(folder, workspace)
    (message,) = messages(error)
    assert message.startswith("signals.csv:3:text: bytes that are not UTF-8")


def test_utf16_file(tmp_path: Path, workspace: Workspace) -> None:
    folder = write_bundle(tmp_path / "b")
    path = folder / "themes.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    error = refused(folder, workspace)
    assert messages(error) == ["themes.csv:1:-: the file is UTF-16 text; save it as UTF-8"]
    # Without a byte-order mark: before, "required column is missing" for every column.
    path.write_bytes(path.read_text(encoding="utf-16").encode("utf-16-le"))
    error = refused(folder, workspace)
    assert messages(error) == [
        "themes.csv:1:-: the file looks like UTF-16 text (NUL bytes); save it as UTF-8"
    ]


def test_absurdly_long_cell(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["signals"][0]["text"] = "help " * 10_000
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    (message,) = messages(error)
    assert message.startswith("signals.csv:2:text: the cell is 50,000 characters long")


def test_ragged_row(tmp_path: Path, workspace: Workspace) -> None:
    folder = write_bundle(tmp_path / "b")
    path = folder / "accounts.csv"
    path.write_text(path.read_text(encoding="utf-8") + "a9,Zed, Inc,smb,retail,3,1000,emea,,,kim\n")
    error = refused(folder, workspace)
    (message,) = messages(error)
    assert message.startswith("accounts.csv:5:-: the row has 11 cells but the header has 10")


def test_short_row(tmp_path: Path, workspace: Workspace) -> None:
    """A row missing cells is refused even when only optional cells would be empty."""
    folder = write_bundle(tmp_path / "b")
    path = folder / "accounts.csv"
    path.write_text(path.read_text(encoding="utf-8") + "a9,Zed,smb,retail,3,1000\n")
    error = refused(folder, workspace)
    (message,) = messages(error)
    assert message.startswith("accounts.csv:5:-: the row has 6 cells but the header has 10")


def test_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path, workspace: Workspace) -> None:
    folder = write_bundle(tmp_path / "b")
    path = folder / "signals.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 4
    lines[1] = lines[1].replace("They need SSO", '"They need SSO', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error = refused(folder, workspace)
    assert messages(error)[0].startswith("signals.csv:2:-: malformed CSV")


def test_unknown_reference_names_the_row_kind(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["capabilities"][0]["depends_on"] = "cap-nope"
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert any("'cap-nope' is not a known capability " in m for m in messages(error))


def test_unknown_theme_of_a_capability(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["capabilities"][0]["themes"] = "trust;trsut"
    error = refused(write_bundle(tmp_path / "b", files), workspace)
    assert messages(error) == [
        "capabilities.csv:2:themes: 'trsut' is not a known theme (not in themes.csv of the "
        "bundle or the workspace)"
    ]


def test_malformed_quoting(tmp_path: Path, workspace: Workspace) -> None:
    folder = write_bundle(tmp_path / "b")
    path = folder / "signals.csv"
    text = path.read_text(encoding="utf-8").replace("They need SSO", 'They "need" SSO', 1)
    path.write_text(text.replace("s1,2026", 's1,"2026', 1), encoding="utf-8")
    error = refused(folder, workspace)
    assert messages(error)[0].startswith("signals.csv:2:-: malformed CSV")


def test_bad_settings_file(tmp_path: Path, workspace: Workspace) -> None:
    folder = write_bundle(tmp_path / "b")
    (folder / "workspace.toml").write_text("[planning]\nbalance = 3\n[planing]\n", "utf-8")
    error = refused(folder, workspace)
    assert [(p.file, p.column) for p in error.problems] == [
        ("workspace.toml", "planning.balance"),
        ("workspace.toml", "planing"),
    ]


def test_a_partial_settings_file_changes_only_the_keys_it_sets(
    tmp_path: Path, workspace: Workspace
) -> None:
    first = write_bundle(tmp_path / "first")
    (first / "workspace.toml").write_text(
        '[planning]\nperiods = ["2027-01", "2027-02"]\ncapacity_reserve = 0.15\n', "utf-8"
    )
    report = import_bundle(first, workspace=workspace)
    assert report.settings_changed == [
        "planning.periods [] -> ['2027-01', '2027-02']",
        "planning.capacity_reserve 0.0 -> 0.15",
    ]
    partial = write_bundle(tmp_path / "partial")
    (partial / "workspace.toml").write_text("[planning]\nbalance = 0.7\n", "utf-8")
    report = import_bundle(partial, workspace=workspace)
    assert report.settings_changed == ["planning.balance 0.5 -> 0.7"]
    planning = workspace.settings.planning
    # Before, a partial file reset every key it did not name to its default.
    assert (planning.periods, planning.capacity_reserve, planning.balance) == (
        ["2027-01", "2027-02"],
        0.15,
        0.7,
    )
    assert import_bundle(partial, workspace=workspace).settings_changed == []


def test_bom_crlf_and_multiline_cells_are_accepted(tmp_path: Path, workspace: Workspace) -> None:
    folder = write_bundle(tmp_path / "b")
    path = folder / "signals.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("PII leaked into a prompt log", '"PII leaked,\nagain\ninto a log"')
    text = text.replace("s2,2026-04-02,support-ticket,", "s2,2026-04-02,support-ticket,", 1)
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    report = import_bundle(folder, workspace=workspace)
    signals = next(f for f in report.files if f.file == "signals.csv")
    assert signals.inserted == 3
    texts = [row[3] for row in snapshot(workspace)["signals"]]
    assert "PII leaked,\r\nagain\r\ninto a log" in texts


def test_later_problem_leaves_earlier_files_unwritten(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["usage"][0]["capability_id"] = "c404"
    refused(write_bundle(tmp_path / "b", files), workspace)
    assert all(not rows for rows in snapshot(workspace).values())


def test_validate_writes_nothing(bundle: Path, workspace: Workspace) -> None:
    before = snapshot(workspace)
    report = validate_bundle(bundle, workspace=workspace)
    assert not report.written and report.rows > 0
    assert snapshot(workspace) == before


def test_a_file_is_not_a_bundle(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a folder"):
        validate_bundle(path)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=200))
def test_any_text_survives_csv_round_trip(tmp_path: Path, text: str) -> None:
    files = small_bundle()
    files["signals"][0]["text"] = text
    folder = write_bundle(tmp_path / "h", files)
    if not text.strip():
        with pytest.raises(BundleError):
            validate_bundle(folder)
    else:
        validate_bundle(folder)


def test_parallel_writer_imports_the_same(tmp_path: Path) -> None:
    from controltower.workspace import init_workspace

    bundle = write_bundle(tmp_path / "b")
    with (
        init_workspace(tmp_path / "thread") as by_thread,
        init_workspace(tmp_path / "process") as by_process,
    ):
        import_bundle(bundle, workspace=by_thread, parallel=False)
        report = import_bundle(bundle, workspace=by_process, parallel=True)
        assert snapshot(by_process) == snapshot(by_thread)
        assert next(f for f in report.files if f.file == "signals.csv").inserted == 3
        again = import_bundle(bundle, workspace=by_process, parallel=True)
        assert all(f.inserted == 0 and f.updated == 0 for f in again.files)


def test_parallel_writer_rolls_back_a_bad_bundle(tmp_path: Path, workspace: Workspace) -> None:
    files = small_bundle()
    files["usage"][0]["value"] = "lots"
    before = snapshot(workspace)
    with pytest.raises(BundleError):
        import_bundle(write_bundle(tmp_path / "b", files), workspace=workspace, parallel=True)
    assert snapshot(workspace) == before


def test_two_imports_at_once_wait_for_each_other(tmp_path: Path, workspace: Workspace) -> None:
    """Each import read the store, then wrote on that reading: run together on an empty
    workspace, both took the "all new" path and one crashed on a duplicate key."""
    bundle = write_bundle(tmp_path / "b")
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with open_workspace(workspace.path) as own:
                import_bundle(bundle, workspace=own, parallel=False)
        except BaseException as exc:  # reported below
            failures.append(exc)

    with workspace.reading():  # hold both imports back until both are waiting
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with init_workspace(tmp_path / "alone") as single:
        import_bundle(bundle, workspace=single)
        assert snapshot(workspace) == snapshot(single)
