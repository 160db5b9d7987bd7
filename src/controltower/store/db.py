"""Engines and migrations: the only way a workspace schema is created or changed."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

_SCRIPT_LOCATION = "controltower.store:migrations"


def alembic_config() -> Config:
    """Return an Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    """Return the newest migration revision shipped with this version."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def make_engine(url: str) -> Engine:
    """Create an engine for a store URL (``sqlite:///path`` or a PostgreSQL URL)."""
    is_sqlite = url.startswith("sqlite")
    # An import writes on a helper thread, one thread at a time: let SQLite allow that.
    engine = create_engine(url, connect_args={"check_same_thread": False} if is_sqlite else {})
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache for bulk imports
    cursor.close()


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision of the store, or None for an empty store."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the store to ``revision`` (the newest by default)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the store down to ``revision`` (``base`` empties it)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of the migrations shipped with this version."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return any(script.revision == revision for script in scripts.walk_revisions())
