"""The migration head of the code and the revision a database is at (Alembic's public API)."""

from __future__ import annotations

import functools
import os

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


@functools.cache
def code_head() -> str:
    """The newest revision of quizapp/migrations (read once per process)."""
    return ScriptDirectory(MIGRATIONS_DIR).get_current_head()


def database_revision(connection) -> str | None:
    """The revision recorded in the database's alembic_version table (None: not migrated)."""
    return MigrationContext.configure(connection).get_current_revision()
