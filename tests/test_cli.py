"""The tower command: thin wrappers, documented, with the exit codes PRODUCT.md promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from conftest import small_bundle, synthesized_workspace, write_bundle
from controltower.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_with_an_example(name: str) -> None:
    code, out, _ = run(name, "--help")
    assert code == 0
    assert "Example: tower" in out


def test_init_import_status_export(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    bundle = write_bundle(tmp_path / "bundle")
    assert run("init", ws)[0] == 0
    code, out, _ = run("-w", ws, "import", str(bundle))
    assert code == 0, out
    assert "signals.csv" in out
    code, out, _ = run("-w", ws, "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert status["counts"]["signals"] == 3
    assert status["accounts_by_segment"] == {"enterprise": 1, "mid-market": 1, "smb": 1}
    assert status["signals_by_month"] == {"2026-03": 1, "2026-04": 2}
    assert status["fde_hours_custom_work"] == 60
    code, out, _ = run("-w", ws, "export", str(tmp_path / "out"))
    assert code == 0
    assert (tmp_path / "out" / "signals.csv").exists()


def test_workspace_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    assert run("init", str(ws))[0] == 0
    monkeypatch.setenv("TOWER_WORKSPACE", str(ws))
    code, out, _ = run("status", "--json")
    assert code == 0
    assert json.loads(out)["workspace"] == str(ws)


def test_bad_bundle_exits_2_and_names_file_row_column(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    run("init", ws)
    files = small_bundle()
    files["signals"][0]["urgency"] = "high"
    code, _, err = run("-w", ws, "import", str(write_bundle(tmp_path / "b", files)))
    assert code == 2
    assert "signals.csv:2:urgency:" in err
    assert "nothing was written" in err
    code, out, _ = run("-w", ws, "status", "--json")
    assert json.loads(out)["counts"]["signals"] == 0


def test_validate_without_workspace(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b")
    code, out, _ = run("-w", str(tmp_path / "nowhere"), "validate", str(bundle))
    assert code == 0
    assert "valid" in out


def test_missing_workspace_exits_2(tmp_path: Path) -> None:
    code, _, err = run("-w", str(tmp_path), "status")
    assert code == 2
    assert "tower init" in err


def test_usage_error_exits_2() -> None:
    assert run("import")[0] == 2


def test_settings_lists_every_setting() -> None:
    code, out, _ = run("settings", "--json")
    assert code == 0
    names = {item["name"] for item in json.loads(out)}
    assert "planning.balance" in names


def test_messages_keep_row_numbers_and_brackets_as_written(tmp_path: Path) -> None:
    """Rich must not read ":100:" as an emoji code or "[beta]" / "[/]" as markup."""
    files = small_bundle()
    first = files["signals"][0]
    files["signals"] = [
        {**first, "signal_id": f"s{k}", "text": f"Need SSO [beta] :100: [/] ({k})"}
        for k in range(1, 100)
    ]
    files["signals"][98]["urgency"] = "high"  # file line 100 (the header is line 1)
    code, _, err = run("validate", str(write_bundle(tmp_path / "bad", files)))
    assert code == 2
    assert "signals.csv:100:urgency:" in err

    files["signals"][98]["urgency"] = "4"
    files["capabilities"][0]["name"] = "SSO [beta] console [/]"
    ws = str(synthesized_workspace(tmp_path / "good", files).path)
    for command in (["why", "c1"], ["value"], ["plan"]):
        code, out, err = run("-w", ws, *command)
        assert code == 0, err
        assert "SSO [beta] console [/]" in out.replace("\n", " ") or "SSO [beta]" in out
