"""The SQLite backend: one file in the user's data folder, WAL mode, a busy timeout.

Two app windows and the CLI can write at the same time: a writer waits for the other instead
of failing, and readers never see half a change.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from cuesheet_app.rights.backend import Params
from cuesheet_app.rights.errors import CatalogueError, SchemaError

SCRATCH_NAME = "preview.sqlite"


class SqliteBackend:
    kind = "sqlite"

    def __init__(self, path: str | Path, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(self.path), timeout=timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise CatalogueError(f"Cannot open catalogue {self.path}: {exc}") from exc
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            from cuesheet_app.rights.schema import check_version, migrate

            check_version(self, self.where)
            self._use_wal(timeout_s)
            self.conn.execute("PRAGMA foreign_keys = ON")
            migrate(self, self.where)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise CatalogueError(f"Cannot open catalogue {self.path}: {exc}") from exc
        except SchemaError:
            self.conn.close()
            raise

    def _use_wal(self, timeout_s: float) -> None:
        """WAL lets readers and one writer work at once; it is stored in the file, so set it once.

        Switching to WAL needs the file to itself and SQLite does not call the busy handler
        for it, so a second process opening a brand-new catalogue retries here.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if self.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                    return
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # --- statements -------------------------------------------------------
    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: list[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def insert(self, sql: str, params: Params = ()) -> int:
        return int(self.conn.execute(sql, params).lastrowid or 0)

    # --- transactions -----------------------------------------------------
    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def begin_snapshot(self) -> None:
        # WAL: a deferred transaction reads one snapshot from its first read to its end.
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    def notify(self, payload: str) -> None:
        """Windows on one machine refresh when activated; nothing to send."""

    # --- schema version ---------------------------------------------------
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self.conn.execute(f"PRAGMA user_version = {int(version)}")

    def lock_for_migration(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    # --- housekeeping -----------------------------------------------------
    @contextlib.contextmanager
    def scratch_copy(self) -> Iterator[SqliteBackend]:
        """A throw-away copy of the file (SQLite online backup): previews write there."""
        with tempfile.TemporaryDirectory(prefix="cuesheet-preview-") as tmp:
            target = Path(tmp) / SCRATCH_NAME
            dest = sqlite3.connect(str(target))
            try:
                self.conn.backup(dest)
            except sqlite3.Error as exc:
                raise CatalogueError(f"Cannot copy catalogue {self.path} for a preview: {exc}") from exc
            finally:
                dest.close()
            copy = SqliteBackend(target)
            try:
                yield copy
            finally:
                copy.close()

    def integrity_check(self) -> str:
        """'ok' when SQLite finds the file sound and every foreign key resolves."""
        result = self.conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            return str(result)
        broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
        return "ok" if not broken else f"{len(broken)} broken references"

    def close(self) -> None:
        self.conn.close()
