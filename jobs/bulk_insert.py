"""Bulk INSERTs of many rows at driver level, for the jobs that write tens of thousands of rows per run
(Import listings, Build listings): multi-row VALUES on SQLite, COPY on PostgreSQL, in the session's own
transaction."""

from __future__ import annotations

import enum
import sqlite3
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii

import sqlalchemy as sa

from webapp.extensions import db

# Written by the bulk inserts with the batch's timestamp (where the table has them).
TIMESTAMPS = ("created_at", "updated_at")
# Rows per INSERT statement on SQLite (fewer when the driver's variable limit is lower).
SQLITE_ROWS_PER_STATEMENT = 1000
# PostgreSQL: ``n`` ids from a table's sequence, in one array (a row per id costs a fetch each).
NEW_IDS = "SELECT array(SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n))"


class BulkWriter:
    """INSERTs of many rows at driver level: multi-row VALUES on SQLite, COPY on PostgreSQL.

    SQLAlchemy's executemany builds and type-processes a parameter dict per row, which costs more than
    the database spends inserting it. On SQLite a statement per row is slow for another reason: the
    search index's trigger (``webapp.models.listing_search``) makes FTS5 write out its pending terms at
    every statement, so 100,000 single-row INSERTs cost four times as much as the same rows in
    statements of a thousand. On PostgreSQL even a pipelined executemany is a statement per row, where
    COPY streams them. The values are adapted here instead: timestamps in SQLAlchemy's SQLite text
    format, JSON pre-serialized, Decimal as text for SQLite (the NUMERIC column stores it as a number);
    COPY takes Decimal, datetime and JSON text as they are.
    """

    def __init__(self, now: datetime) -> None:
        self.connection = db.session.connection()
        dialect = self.connection.dialect
        self.sqlite = dialect.name == "sqlite"
        self.now = now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else now

    def number(self, value: Decimal | None) -> Decimal | str | None:
        """A Decimal as the driver takes it."""
        return str(value) if self.sqlite and value is not None else value

    @staticmethod
    def texts(values: list[str]) -> str:
        """A JSON list of strings, as ``json.dumps`` writes it (the C string encoder, no per-call setup)."""
        return "[" + ", ".join(map(encode_basestring_ascii, values)) + "]"

    def insert(self, table: sa.Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Insert ``rows`` (values in ``columns`` order, adapted with :meth:`number` and :meth:`texts`);
        the table's other columns take their constant defaults, its timestamps the batch's."""
        self._insert(table, columns, rows, returning=False)

    def insert_keyed(self, table: sa.Table, columns: tuple[str, ...], rows: list[tuple]) -> dict[str, int]:
        """:meth:`insert` for a table with an ``id`` and a ``sku`` (in ``columns``): SKU → new id.

        PostgreSQL: the ids are drawn from the table's sequence first, then written by COPY (which
        cannot return them). SQLite: the INSERTs return them.
        """
        if self.sqlite:
            return dict(self._insert(table, columns, rows, returning=True))
        ids = self.connection.scalar(sa.text(NEW_IDS), {"table": table.name, "n": len(rows)})
        numbered = [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)]
        self._insert(table, ("id", *columns), numbered, returning=False)
        sku = columns.index("sku") + 1
        return {row[sku]: row[0] for row in numbered}

    def _insert(
        self, table: sa.Table, columns: tuple[str, ...], rows: list[tuple], returning: bool
    ) -> list[sa.Row]:
        defaults = {
            column.name: column.default.arg
            for column in table.columns
            if column.name not in columns
            and column.default is not None
            and column.default.is_scalar
            and column.name not in TIMESTAMPS
        }
        stamps = [name for name in TIMESTAMPS if name in table.columns]
        names = ", ".join([*columns, *defaults, *stamps])
        # The model's enum defaults (VariantStatus.UNLINKED…) go to the driver as their plain values.
        fixed = tuple(value.value if isinstance(value, enum.Enum) else value for value in defaults.values())
        fixed += (self.now,) * len(stamps)
        if not self.sqlite:
            # COPY on the session's own connection: same transaction as every other write of the batch.
            cursor = self.connection.connection.dbapi_connection.cursor()
            with cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + fixed)
            return []
        width = len(columns) + len(fixed)
        limit = self.connection.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per_statement = max(1, min(SQLITE_ROWS_PER_STATEMENT, limit // width))
        row_marks = "(" + ", ".join("?" * width) + ")"
        tail = " RETURNING sku, id" if returning else ""
        written: list[sa.Row] = []
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = [value for row in chunk for value in row + fixed]
            marks = ", ".join([row_marks] * len(chunk))
            result = self.connection.exec_driver_sql(
                f"INSERT INTO {table.name} ({names}) VALUES {marks}{tail}", tuple(values)
            )
            if returning:
                written.extend(result.all())
        return written
