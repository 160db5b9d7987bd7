"""Migrations are the only way the schema is made, and they match the table definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from controltower.errors import WorkspaceError
from controltower.store import db
from controltower.store.tables import metadata
from controltower.workspace import init_workspace, open_workspace


def test_migrations_from_empty_match_the_tables(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    db.upgrade(engine)
    db.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    db.upgrade(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_open_requires_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="tower init"):
        open_workspace(tmp_path)


def test_init_twice_is_refused(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws").close()
    with pytest.raises(WorkspaceError, match="already holds"):
        init_workspace(tmp_path / "ws")


def test_open_upgrades_an_old_store(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws").close()
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ws' / 'tower.db'}")
    db.downgrade(engine, "base")
    engine.dispose()
    with open_workspace(tmp_path / "ws") as workspace:
        assert db.current_revision(workspace.engine) == db.head_revision()


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws").close()
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ws' / 'tower.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'future'")
    engine.dispose()
    with pytest.raises(WorkspaceError, match="newer Control Tower"):
        open_workspace(tmp_path / "ws")
