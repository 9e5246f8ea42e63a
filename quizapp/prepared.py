"""Prepared reads: a SELECT compiled once per dialect and run on a pooled connection's
driver, outside the ORM session and outside any transaction (`Database.read_once`)."""

from __future__ import annotations

from collections import namedtuple

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


class Prepared:
    """A read-only SELECT built once and compiled once per dialect, for `Database.read_once`:
    its SQL, the order of its parameters, the bind and result processors of its columns
    (JSON, UTC datetimes, booleans: what SQLAlchemy would apply) and a named tuple for its
    rows (`row.name` as with SQLAlchemy's rows)."""

    def __init__(self, statement) -> None:
        self.statement = statement
        self._by_dialect: dict[tuple, tuple] = {}
        keys = [c.key for c in statement.selected_columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"columns need distinct names (label them): {keys}")
        self._row = namedtuple("Row", keys)  # noqa: PYI024 - built from the statement

    def _compiled(self, dialect) -> tuple:
        key = (dialect.name, dialect.driver, dialect.paramstyle)  # the SQL differs by each
        found = self._by_dialect.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            processors = tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None)
                for c in self.statement.selected_columns
            )
            binders = {
                name: f
                for name, bind in compiled.binds.items()
                if (f := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
            }
            found = self._by_dialect[key] = (
                compiled,
                str(compiled),
                compiled.positiontup if compiled.positional else None,
                binders,
                processors if any(processors) else None,
            )
        return found

    def run(self, engine: Engine, params: dict) -> list:
        compiled, sql, positions, binders, processors = self._compiled(engine.dialect)
        values = compiled.construct_params(params)
        for name, f in binders.items():
            values[name] = f(values[name])
        if positions is not None:
            values = [values[name] for name in positions]
        fairy = engine.pool.connect()  # the pool's own events run (idle ping, reset)
        driver = fairy.dbapi_connection
        server = engine.dialect.name != "sqlite"
        try:
            if server:
                driver.autocommit = True
            cursor = driver.cursor()
            try:
                cursor.execute(sql, values)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as exc:
            # as SQLAlchemy's own execution does: a connection that is gone is not reused
            if engine.dialect.is_disconnect(exc, driver, None):
                fairy.invalidate(exc)
            raise
        finally:
            try:
                if server and fairy.is_valid:
                    driver.autocommit = False  # back to the pool as it came, even on error
            finally:
                fairy.close()
        make = self._row._make
        if processors is None:
            return [make(r) for r in rows]
        return [make([f(v) if f else v for f, v in zip(processors, r, strict=True)]) for r in rows]


def session_reader(session: Session):
    """A `read(prepared, params)` on an ORM session's transaction, for the services that
    take one (`Database.read_once` is the other): for callers already in a transaction."""
    return lambda prepared, params: session.execute(prepared.statement, params).all()
