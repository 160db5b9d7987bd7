"""A workspace: a folder holding ``workspace.toml`` (settings) and ``tower.db`` (the store)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from controltower.errors import WorkspaceError
from controltower.settings import Settings, load_settings
from controltower.store import db

DB_FILE = "tower.db"
SETTINGS_FILE = "workspace.toml"
LOCK_FILE = ".tower.lock"
"""Held exclusively by an import, shared by readers that must see one moment (an export)."""
ENV_WORKSPACE = "TOWER_WORKSPACE"


@dataclass
class Workspace:
    """An open workspace.

    Attributes:
        path: The workspace folder.
        settings: Its settings (defaults for anything ``workspace.toml`` leaves out).
        engine: The SQLAlchemy engine of its store.
    """

    path: Path
    settings: Settings
    engine: Engine

    @property
    def settings_path(self) -> Path:
        """Path of the workspace's ``workspace.toml``."""
        return self.path / SETTINGS_FILE

    def save_settings(self, settings: Settings) -> None:
        """Replace the workspace's settings, writing the file atomically."""
        write_atomically(self.settings_path, settings.to_toml())
        self.settings = settings

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the workspace for a change that reads, then writes (an import).

        Two imports at once each read what is stored, then wrote on a stale reading (a
        duplicate-key crash); a second import, or a reader of :meth:`reading`, now waits
        for the first to finish. A lock on ``.tower.lock`` (POSIX ``flock``; none where
        the platform has no ``fcntl``).
        """
        with self._lock(exclusive=True):
            yield

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the workspace for reads that must see one moment (not half an import)."""
        with self._lock(exclusive=False):
            yield

    @contextmanager
    def _lock(self, *, exclusive: bool) -> Iterator[None]:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        with open(self.path / LOCK_FILE, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def write_atomically(path: Path, text: str) -> None:
    """Write a text file so that readers see either the old or the new content."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def resolve_path(path: Path | None) -> Path:
    """Pick the workspace folder: the given path, else ``$TOWER_WORKSPACE``, else the cwd."""
    if path is not None:
        return path
    from_env = os.environ.get(ENV_WORKSPACE)
    return Path(from_env) if from_env else Path.cwd()


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{(path / DB_FILE).resolve()}"


def init_workspace(path: Path) -> Workspace:
    """Create a workspace in ``path`` (created if missing) with default settings.

    Raises:
        WorkspaceError: ``path`` is a file or already holds a workspace.
    """
    if path.exists() and not path.is_dir():
        raise WorkspaceError(f"{path} is a file, not a folder")
    if (path / DB_FILE).exists():
        raise WorkspaceError(f"{path} already holds a workspace ({DB_FILE})")
    path.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(_sqlite_url(path))
    db.upgrade(engine)
    settings = load_settings(path / SETTINGS_FILE)
    workspace = Workspace(path=path, settings=settings, engine=engine)
    if not workspace.settings_path.exists():
        workspace.save_settings(settings)
    return workspace


def open_workspace(path: Path | None = None) -> Workspace:
    """Open an existing workspace, migrating its store to this version's schema.

    Args:
        path: The folder; None resolves it as :func:`resolve_path` does.

    Raises:
        WorkspaceError: No workspace there, or its store is newer than this version.
    """
    folder = resolve_path(path)
    if not (folder / DB_FILE).exists():
        raise WorkspaceError(
            f"no workspace in {folder} (no {DB_FILE}); create one with: tower init {folder}"
        )
    engine = db.make_engine(_sqlite_url(folder))
    revision = db.current_revision(engine)
    if revision != db.head_revision():
        if revision is not None and not db.is_known_revision(revision):
            engine.dispose()
            raise WorkspaceError(
                f"the workspace in {folder} was written by a newer Control Tower "
                f"(schema {revision}); upgrade controltower"
            )
        db.upgrade(engine)
    return Workspace(path=folder, settings=load_settings(folder / SETTINGS_FILE), engine=engine)
