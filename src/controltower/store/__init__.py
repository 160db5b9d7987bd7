"""Storage: SQLAlchemy tables, Alembic migrations and keyword-only typed access functions."""
