"""Test databases: a migrated SQLite template to copy, and a PostgreSQL database of our own."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from app import create_app

from support import workers
from support.apps import BASE_CONFIG, dispose_engines


def migrate_database(url: str) -> None:
    """Bring the database at ``url`` to the latest migration, as ``flask db upgrade`` does."""
    import flask_migrate

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
    dispose_engines(app)


def copy_sqlite(template: Path, path: Path) -> str:
    """Copy the migrated SQLite ``template`` to ``path``; return the copy's URL."""
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@contextlib.contextmanager
def own_postgres_database(server_url: str) -> Iterator[str]:
    """Create and migrate a database on the server at ``server_url``; drop it on exit."""
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"chameleon_test_{workers.name()}_{os.getpid()}_{secrets.token_hex(3)}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate_database(url)
        yield url
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def empty_postgres(url: str) -> None:
    """Delete every row of every table but the schema version (and reset ids)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
            )
        ).scalars()
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
