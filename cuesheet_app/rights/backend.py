"""One interface for the catalogue's database, two backends: SQLite (one person) and PostgreSQL (a team).

``Catalogue`` writes its SQL once, with ``?`` and ``:name`` placeholders, portable statements
(``INSERT ... ON CONFLICT DO NOTHING``, timestamps as bound text) and asks the backend only for
what differs: how an insert returns its id, how a transaction and a consistent read start, how
others hear about a change, and how the schema version is kept. Every value reaches SQL as a
bound parameter; the only text ever put into a statement is our own table and column names.

A server backend also offers ``reserve_ids``, ``copy_rows`` and ``executemany_returning`` (see ``PgBackend``):
an import then writes a chunk of rows in a few set-based statements (``rights/import_batch.py``)
instead of a dozen round trips per row. SQLite runs in-process, where a statement costs no
round trip, and keeps writing row by row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any, Protocol

Params = Sequence[Any] | dict[str, Any]


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Backend(Protocol):
    """What a catalogue needs from its database connection."""

    kind: str  # "sqlite" or "postgresql"
    where: str  # for messages: a file path, or the server URL without any password

    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: list[Sequence[Any]]) -> None: ...

    def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT into a table with an ``id`` column; returns the new row's id."""
        ...

    def begin(self) -> None:
        """Start a write transaction (SQLite takes the write lock at once)."""
        ...

    def begin_snapshot(self) -> None:
        """Start a read-only transaction that sees one consistent state of the catalogue."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def notify(self, payload: str) -> None:
        """Tell other sessions about a change when the open transaction commits (no-op on SQLite)."""
        ...

    def scratch_copy(self) -> AbstractContextManager[Backend]:
        """A throw-away catalogue to preview changes on."""
        ...

    def integrity_check(self) -> str: ...

    def close(self) -> None: ...


_PLACEHOLDER = re.compile(r"'[^']*'|::|\?|:([A-Za-z_]\w*)|%")


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """``?`` -> ``%s`` and ``:name`` -> ``%(name)s`` outside quoted literals (psycopg's style).

    A literal ``%`` is doubled, and ``::type`` casts are left alone.
    """

    def swap(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("'") or token == "::":
            return token.replace("%", "%%") if token.startswith("'") else token
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({m.group(1)})s"

    return _PLACEHOLDER.sub(swap, sql)
