"""The PostgreSQL backend (psycopg 3 + psycopg-pool): a team's shared catalogue.

One pool per server URL per process; a ``Catalogue`` borrows one connection for its life and
gives it back on close. Connections run in autocommit and the catalogue issues BEGIN/COMMIT
itself, exactly as on SQLite, so both backends share one transaction model. The password comes
from the OS keyring (passed to libpq as a keyword, never put in a URL) or from libpq's own
``PGPASSWORD``/``~/.pgpass``; every error message is scrubbed of it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from cuesheet_app.rights.backend import Params, to_pyformat
from cuesheet_app.rights.errors import CatalogueError, CatalogueUnavailable
from cuesheet_app.rights.location import check_url, connection_parts, redact_url, scrub
from cuesheet_app.settings.catalogue_secrets import account_for, get_db_password

CHANNEL = "cuesheet_catalogue"
_POOLS: dict[str, ConnectionPool] = {}
_POOLS_LOCK = threading.Lock()


def connect_kwargs(url: str, connect_timeout_s: int = 5) -> dict[str, Any]:
    """libpq keywords beyond the URL: the keyring's password (if any) and a connect timeout."""
    kwargs: dict[str, Any] = {"connect_timeout": connect_timeout_s, "application_name": "cuesheet"}
    parts = connection_parts(url)
    password = get_db_password(account_for(parts["user"], parts["host"], parts["port"], parts["dbname"]))
    if password:
        kwargs["password"] = password
    return kwargs


def unavailable(where: str, exc: BaseException, password: str | None = None) -> CatalogueError:
    """Unreachable (no answer: work on from the read cache) or refused (the server answered with
    an error such as a wrong password: that is for the user to fix, not to hide offline)."""
    detail = scrub(" ".join(line.strip() for line in str(exc).splitlines()) or type(exc).__name__, password)
    if getattr(exc, "sqlstate", None) or "FATAL:" in detail:
        return CatalogueError(f"The team catalogue {where} refused the connection: {detail}")
    return CatalogueUnavailable(f"Cannot reach the team catalogue {where}: {detail}")


def _pool(url: str, connect_timeout_s: int) -> ConnectionPool:
    """The process's pool for this server, created after one direct connection proves it answers
    (so an unreachable server gives libpq's own reason at once, not a pool timeout)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(url)
        if pool is not None and not pool.closed:
            return pool
        kwargs = connect_kwargs(url, connect_timeout_s)
        where = redact_url(url)
        try:
            psycopg.connect(url, **kwargs).close()
        except psycopg.Error as exc:
            raise unavailable(where, exc, kwargs.get("password")) from None
        pool = ConnectionPool(url, kwargs={**kwargs, "autocommit": True}, min_size=1, max_size=8,
                              open=False, check=ConnectionPool.check_connection,
                              name="cuesheet-catalogue", timeout=connect_timeout_s + 5)
        pool.open()
        _POOLS[url] = pool
        return pool


def close_pools() -> None:
    """Close every pool (tests between servers; the app at exit)."""
    with _POOLS_LOCK:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()


class PgBackend:
    kind = "postgresql"

    def __init__(self, url: str, connect_timeout_s: int = 5) -> None:
        self.url = check_url(url)
        self.where = redact_url(self.url)
        self._pool = _pool(self.url, connect_timeout_s)
        try:
            self.conn = self._pool.getconn()
        except (PoolTimeout, psycopg.Error) as exc:
            raise unavailable(self.where, exc) from None
        try:
            from cuesheet_app.rights.schema import migrate

            migrate(self, self.where)
        except BaseException:
            self._pool.putconn(self.conn)
            raise

    # --- statements -------------------------------------------------------
    def execute(self, sql: str, params: Params = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(to_pyformat(sql), params)  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: list[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(to_pyformat(sql), rows)  # type: ignore[arg-type]

    def insert(self, sql: str, params: Params = ()) -> int:
        row = self.conn.execute(to_pyformat(sql) + " RETURNING id", params).fetchone()  # type: ignore[arg-type]
        return int(row[0]) if row else 0

    # --- set-based writes (rights/import_batch.py) ------------------------
    def reserve_ids(self, table: str, n: int) -> list[int]:
        """``n`` new ids of ``table`` from its identity sequence, in one round trip, so that rows
        made in memory can refer to each other before they are written. Sequences are never
        rolled back: ids of rows that end up not written are gaps, as after any failed insert."""
        if table not in ("works", "recordings", "parties") or n <= 0:
            raise ValueError(f"cannot reserve {n} ids of {table!r}")
        rows = self.conn.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                                 "FROM generate_series(1, %s)", (n,)).fetchall()
        return [int(r[0]) for r in rows]

    def copy_rows(self, table: str, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
        """Many new rows through COPY: the values travel as data, not as SQL text (nothing to
        parse or quote), in one stream; needs only the INSERT privilege."""
        if not rows:
            return
        for name in (table, *columns):
            if not name.isidentifier():  # our own names only: nothing else is ever put into SQL
                raise ValueError(f"not a table or column name: {name!r}")
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def executemany_returning(self, sql: str, rows: list[Sequence[Any]]) -> list[Any]:
        """One statement for many parameter rows, pipelined (one round trip, not one per row);
        returns every row the statements returned (``... RETURNING id``), in order."""
        out: list[Any] = []
        if not rows:
            return out
        with self.conn.cursor() as cur:
            cur.executemany(to_pyformat(sql), rows, returning=True)  # type: ignore[arg-type]
            while True:
                out += cur.fetchall()
                if not cur.nextset():
                    break
        return out

    # --- transactions -----------------------------------------------------
    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def begin_snapshot(self) -> None:
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    def notify(self, payload: str) -> None:
        self.conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))

    # --- schema version ---------------------------------------------------
    def schema_version(self) -> int:
        exists = self.conn.execute("SELECT to_regclass('catalogue_schema') IS NOT NULL").fetchone()[0]
        if not exists:
            return 0
        row = self.conn.execute("SELECT version FROM catalogue_schema").fetchone()
        return int(row[0]) if row else 0

    def set_schema_version(self, version: int) -> None:
        self.conn.execute("DELETE FROM catalogue_schema")
        self.conn.execute("INSERT INTO catalogue_schema (version) VALUES (%s)", (version,))

    def lock_for_migration(self) -> None:
        """One migrator at a time across the team: a transaction-scoped advisory lock."""
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('cuesheet_catalogue_migrate'))")
        self.conn.execute("CREATE TABLE IF NOT EXISTS catalogue_schema (version INTEGER NOT NULL)")

    # --- housekeeping -----------------------------------------------------
    @contextlib.contextmanager
    def scratch_copy(self) -> Iterator[_RolledBack]:
        """A preview on the server itself: one transaction that is always rolled back."""
        self.conn.execute("BEGIN")
        try:
            yield _RolledBack(self)
        finally:
            self.conn.execute("ROLLBACK")

    def integrity_check(self) -> str:
        """The server enforces every key; ask it only whether it answers."""
        self.conn.execute("SELECT 1").fetchone()
        return "ok"

    def close(self) -> None:
        if self.conn is not None:
            self._pool.putconn(self.conn)
            self.conn = None  # type: ignore[assignment]


class _RolledBack:
    """The backend inside a preview transaction: the catalogue's BEGIN/COMMIT become savepoints."""

    kind = "postgresql"

    def __init__(self, real: PgBackend) -> None:
        self.real = real
        self.where = real.where
        self.execute = real.execute
        self.executemany = real.executemany
        self.insert = real.insert
        self.reserve_ids = real.reserve_ids
        self.executemany_returning = real.executemany_returning
        self.copy_rows = real.copy_rows

    def begin(self) -> None:
        self.real.execute("SAVEPOINT preview_batch")

    begin_snapshot = begin

    def commit(self) -> None:
        self.real.execute("RELEASE SAVEPOINT preview_batch")

    def rollback(self) -> None:
        self.real.execute("ROLLBACK TO SAVEPOINT preview_batch")
        self.real.execute("RELEASE SAVEPOINT preview_batch")

    def notify(self, payload: str) -> None:
        """Nothing happened for others to see."""

    @contextlib.contextmanager
    def scratch_copy(self) -> Iterator[_RolledBack]:
        yield self

    def integrity_check(self) -> str:
        return self.real.integrity_check()

    def close(self) -> None:
        """The preview's owner ends the transaction."""
