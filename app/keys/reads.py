"""How the per-request key read is run on a held connection: the fastest way each driver has.

``KeyLookup`` holds one connection per thread and asks a reader to run one ``SELECT`` on it
per request. Any DBAPI driver (SQLite's here) gets ``CursorRead``: the statement compiled
once, on one cursor kept for good. psycopg gets ``LibpqRead``: the statement prepared once
per connection and run by libpq in one C call, through psycopg's documented low-level
``pgconn``; psycopg's own cursor spends about as much CPU around the call as the round trip
itself (measured in process: about 55 us of CPU per read instead of 85 to 115).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, Select

Row = tuple[Any, ...]


class CursorRead:
    """Run the compiled statement on a DBAPI cursor held with the connection."""

    def __init__(self, engine: Engine, statement: Select) -> None:
        self._sql = str(statement.compile(dialect=engine.dialect))
        self._positional = engine.dialect.positional

    def open(self, dbapi_connection: Any) -> Any:
        """What ``run`` needs on a new connection: a cursor of its own."""
        return dbapi_connection.cursor()

    def run(self, cursor: Any, key_id: str) -> Row | None:
        """The first row for ``key_id``, or None."""
        cursor.execute(self._sql, (key_id,) if self._positional else {"key_id": key_id})
        # fetchall, not fetchone: reading to the end resets SQLite's statement, so the
        # cursor holds no read snapshot between requests (which would stall the WAL).
        rows = cursor.fetchall()
        return tuple(rows[0]) if rows else None


class LibpqRead:
    """Run the statement prepared on the connection, with libpq's ``PQexecPrepared``.

    ``columns`` turns each text-format value into its Python value, in the statement's
    column order (a NULL stays None), decoded in the connection's client encoding. With
    psycopg's ``prepare_threshold`` set to None (what PgBouncer in transaction mode needs),
    nothing is prepared and each read is one ``PQexecParams`` instead.
    """

    NAME = b"chameleon_key_read"

    def __init__(
        self, engine: Engine, statement: Select, columns: Sequence[Callable[[str], Any]]
    ) -> None:
        # libpq numbers its parameters: $1, not psycopg's %s.
        dialect = type(engine.dialect)(paramstyle="numeric_dollar")
        self._sql = str(statement.compile(dialect=dialect)).encode()
        self._columns = tuple(columns)
        from psycopg import OperationalError
        from psycopg.pq import ExecStatus

        self._error = OperationalError
        self._prepared = ExecStatus.COMMAND_OK
        self._tuples = ExecStatus.TUPLES_OK

    def open(self, dbapi_connection: Any) -> tuple[Any, str, bool]:
        """Prepare the statement on a new connection, unless psycopg is told not to.

        ``run`` then needs the connection's ``pgconn``, its encoding, and whether it holds
        the prepared statement.
        """
        pgconn = dbapi_connection.pgconn
        prepared = dbapi_connection.prepare_threshold is not None
        if prepared:
            self._check(pgconn.prepare(self.NAME, self._sql), self._prepared)
        return pgconn, dbapi_connection.info.encoding, prepared

    def run(self, handle: tuple[Any, str, bool], key_id: str) -> Row | None:
        """The first row for ``key_id``, or None."""
        pgconn, encoding, prepared = handle
        params = [key_id.encode(encoding)]
        if prepared:
            result = pgconn.exec_prepared(self.NAME, params)
        else:
            result = pgconn.exec_params(self._sql, params)
        self._check(result, self._tuples)
        if result.ntuples == 0:
            return None
        values = (result.get_value(0, column) for column in range(result.nfields))
        return tuple(
            None if value is None else convert(value.decode(encoding))
            for convert, value in zip(self._columns, values, strict=True)
        )

    def _check(self, result: Any, expected: Any) -> None:
        if result.status != expected:
            message = (result.error_message or b"unexpected result").decode(errors="replace")
            raise self._error(message.strip())


def postgres_bool(text: str) -> bool:
    """A boolean in PostgreSQL's text format (``t`` or ``f``)."""
    return text == "t"


def reader_for(
    engine: Engine, statement: Select, columns: Sequence[Callable[[str], Any]]
) -> CursorRead | LibpqRead:
    """The fastest reader this engine's driver has for ``statement``."""
    if engine.dialect.driver == "psycopg":
        return LibpqRead(engine, statement, columns)
    return CursorRead(engine, statement)
