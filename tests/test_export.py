"""Export is deterministic, and export then import reproduces the workspace exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import snapshot
from controltower.export import export_workspace, format_cell
from controltower.ingest.bundle import import_bundle
from controltower.sample import write_sample_bundle
from controltower.workspace import init_workspace


def read_all(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sample")
    write_sample_bundle(root / "bundle")
    with init_workspace(root / "ws") as workspace:
        import_bundle(root / "bundle", workspace=workspace)
        export_workspace(workspace, root / "export")
    return root / "ws", root / "export"


def test_export_is_byte_stable(sample_export: tuple[Path, Path], tmp_path: Path) -> None:
    ws, first = sample_export
    from controltower.workspace import open_workspace

    with open_workspace(ws) as workspace:
        export_workspace(workspace, tmp_path / "again")
    assert read_all(first) == read_all(tmp_path / "again")


def test_round_trip_reproduces_the_sample_company(
    sample_export: tuple[Path, Path], tmp_path: Path
) -> None:
    ws, exported = sample_export
    from controltower.workspace import open_workspace

    with open_workspace(ws) as original, init_workspace(tmp_path / "copy") as copy:
        import_bundle(exported, workspace=copy)
        assert snapshot(copy) == snapshot(original)
        assert copy.settings == original.settings
        export_workspace(copy, tmp_path / "copy-export")
    assert read_all(tmp_path / "copy-export") == read_all(exported)


def test_extra_columns_survive(sample_export: tuple[Path, Path]) -> None:
    _, exported = sample_export
    header = (exported / "capabilities.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",shipped")


@pytest.mark.parametrize(
    ("value", "cell"),
    [(None, ""), (3.0, "3"), (0.1, "0.1"), (2500000.0, "2500000"), (["a", "b"], "a;b"), (4, "4")],
)
def test_cells_are_formatted_exactly(value: object, cell: str) -> None:
    assert format_cell(value) == cell
