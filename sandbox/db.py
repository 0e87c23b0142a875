"""The sandbox's state: one SQLite file, a connection per thread, and the schema registry.

Every module that needs tables calls `register_schema(ddl)` at import time; `Store.init_schema()`
runs all registered DDL (idempotent `CREATE ... IF NOT EXISTS`). Data tables also register their
name with `register_data_table` so that re-seeding can empty them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SCHEMAS: list[str] = []
_DATA_TABLES: list[str] = []


def register_schema(ddl: str, data_tables: tuple[str, ...] = ()) -> None:
    """Add DDL (one or more statements) to the schema; `data_tables` are emptied by a re-seed."""
    if ddl not in _SCHEMAS:
        _SCHEMAS.append(ddl)
    for table in data_tables:
        if table not in _DATA_TABLES:
            _DATA_TABLES.append(table)


def data_tables() -> list[str]:
    """Names of the tables a seed empties before filling them again."""
    return list(_DATA_TABLES)


CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS application (
    app_id TEXT PRIMARY KEY, name TEXT NOT NULL, client_id TEXT NOT NULL, client_secret TEXT NOT NULL,
    redirect_uris TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS marketplaces (
    id TEXT PRIMARY KEY, country_code TEXT NOT NULL, name TEXT NOT NULL, region TEXT NOT NULL,
    currency TEXT NOT NULL, language TEXT NOT NULL, domain TEXT NOT NULL, fba_channel TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sellers (
    seller_id TEXT PRIMARY KEY, name TEXT NOT NULL, store_name TEXT NOT NULL, region TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS participations (
    seller_id TEXT NOT NULL, marketplace_id TEXT NOT NULL, is_participating INTEGER NOT NULL,
    has_suspended_listings INTEGER NOT NULL, PRIMARY KEY (seller_id, marketplace_id)
);
CREATE TABLE IF NOT EXISTS brand_approvals (
    seller_id TEXT NOT NULL, brand TEXT NOT NULL, PRIMARY KEY (seller_id, brand)
);
CREATE TABLE IF NOT EXISTS auth_codes (
    code TEXT PRIMARY KEY, seller_id TEXT NOT NULL, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
    expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY, seller_id TEXT NOT NULL, client_id TEXT NOT NULL, created_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY, seller_id TEXT NOT NULL, client_id TEXT NOT NULL, expires_at REAL NOT NULL,
    kind TEXT NOT NULL DEFAULT 'lwa'
);
CREATE TABLE IF NOT EXISTS catalog_items (
    asin TEXT PRIMARY KEY, upc TEXT, ean TEXT, brand TEXT NOT NULL, manufacturer TEXT NOT NULL,
    product_type TEXT NOT NULL, title TEXT NOT NULL, images TEXT NOT NULL, restricted INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_items_upc ON catalog_items (upc);
CREATE INDEX IF NOT EXISTS catalog_items_ean ON catalog_items (ean);
CREATE TABLE IF NOT EXISTS listings (
    seller_id TEXT NOT NULL, marketplace_id TEXT NOT NULL, sku TEXT NOT NULL, asin TEXT,
    product_type TEXT NOT NULL, condition_type TEXT, price REAL, currency TEXT, quantity INTEGER,
    fulfillment_channel TEXT NOT NULL, status TEXT NOT NULL, attributes TEXT NOT NULL, issues TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (seller_id, marketplace_id, sku)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS listings_updated ON listings (seller_id, marketplace_id, updated_at);
CREATE TABLE IF NOT EXISTS call_log (
    id INTEGER PRIMARY KEY, seller_id TEXT, operation TEXT NOT NULL, ts REAL NOT NULL,
    status INTEGER NOT NULL,
    request_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    operation TEXT PRIMARY KEY, p429 REAL NOT NULL DEFAULT 0, p500 REAL NOT NULL DEFAULT 0,
    p503 REAL NOT NULL DEFAULT 0, latency_ms INTEGER NOT NULL DEFAULT 0, p_drop REAL NOT NULL DEFAULT 0,
    stuck INTEGER NOT NULL DEFAULT 0
);
"""

register_schema(
    CORE_SCHEMA,
    data_tables=(
        "marketplaces",
        "sellers",
        "participations",
        "brand_approvals",
        "auth_codes",
        "refresh_tokens",
        "access_tokens",
        "catalog_items",
        "listings",
        "call_log",
    ),
)


class Store:
    """Access to the sandbox SQLite file; each thread gets its own connection (autocommit mode)."""

    def __init__(self, path: str) -> None:
        """Remember the database path; connections are opened lazily per thread."""
        self.path = path
        self._local = threading.local()

    def connect(self) -> sqlite3.Connection:
        """Open a new connection with the sandbox PRAGMAs (WAL so readers never block the writer)."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.connect()
            self._local.conn = conn
        return conn

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        """Run one statement on this thread's connection."""
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        """Return the first row of a query, or None."""
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Return all rows of a query."""
        return self.conn.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction (BEGIN IMMEDIATE, so concurrent writers queue up)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def init_schema(self) -> None:
        """Create every registered table and index, and the clock anchor on first use."""
        with self.transaction() as conn:
            for ddl in _SCHEMAS:
                for statement in ddl.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('clock_anchor', ?)", (repr(time.time()),)
            )
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('clock_offset', '0.0')")

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """Read a value from the meta table."""
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Write a value into the meta table."""
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        """Close this thread's connection (other threads' connections close when they exit)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
