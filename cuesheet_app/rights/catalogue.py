"""The rights catalogue: works, recordings and a party directory, on SQLite or PostgreSQL.

Every public change is one transaction. The SQL is written once for both backends
(``rights/backend.py``); what differs lives in ``sqlite_backend.py`` and ``pg_backend.py``.
Works and recordings carry a row version: a save over someone else's newer change is refused
with who made it and when (``ConflictError``), never silently overwritten. Changes to a work's
rights are recorded in its history (``rights/audit.py``), and a team server tells other
sessions what changed (LISTEN/NOTIFY) when the transaction commits.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from cuesheet_app.domain.identifiers import normalize_ipi, normalize_isrc, normalize_iswc
from cuesheet_app.domain.model import Party
from cuesheet_app.rights.audit import HistoryEntry, utc_now, work_changes
from cuesheet_app.rights.backend import Backend
from cuesheet_app.rights.checks import recording_problems, work_problems
from cuesheet_app.rights.errors import (
    CatalogueError,
    CatalogueUnavailable,
    ConflictError,
    SchemaError,
)
from cuesheet_app.rights.location import current_user, is_server_url
from cuesheet_app.rights.normalize import norm_artists, norm_code, norm_party_name, norm_text
from cuesheet_app.rights.party_rows import party_id_for
from cuesheet_app.rights.records import DirectoryParty, Recording, SearchHit, Work

__all__ = ["Catalogue", "CatalogueError", "CatalogueUnavailable", "ConflictError", "SchemaError"]
NOTIFY_LIMIT = 7000  # bytes; PostgreSQL's payload limit is 8000


def _integrity_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    errors: list[type[BaseException]] = [sqlite3.IntegrityError]
    with contextlib.suppress(ImportError):
        import psycopg

        errors.append(psycopg.errors.IntegrityError)
    return tuple(errors)


class Catalogue:
    """One open catalogue. Not shared between threads; open one per window/process.

    ``location`` is a SQLite file path, a ``postgresql://`` URL (no password in it), or an open
    backend. ``user`` is who changes are recorded as (default: the OS user).
    """

    def __init__(self, location: str | Path | Backend, timeout_s: float = 30.0, user: str = "") -> None:
        if isinstance(location, (str, Path)) and is_server_url(str(location)):
            from cuesheet_app.rights.pg_backend import PgBackend

            self._db: Any = PgBackend(str(location), connect_timeout_s=max(1, min(int(timeout_s), 10)))
        elif isinstance(location, (str, Path)):
            from cuesheet_app.rights.sqlite_backend import SqliteBackend

            self._db = SqliteBackend(location, timeout_s)
        else:
            self._db = location
        self.user = current_user(user)
        self._depth = 0
        self._changed: dict[str, set[int]] = {"works": set(), "recordings": set()}
        self._integrity = _integrity_errors()
        self.last_save_changed = False  # whether the last save_work/save_recording wrote anything
        self._party_cache: dict[tuple[str, ...], int] = {}

    @property
    def kind(self) -> str:
        return str(self._db.kind)

    @property
    def where(self) -> str:
        """The file path, or the server URL without any password: safe to show and log."""
        return str(self._db.where)

    @property
    def path(self) -> Path:
        """The SQLite file (for a server, its redacted URL as text)."""
        return Path(self._db.path) if self.kind == "sqlite" else Path(self.where)

    @property
    def backend(self) -> Backend:
        return self._db

    # --- lifetime ---------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; nested calls join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.begin()
        self._depth = 1
        try:
            yield
            self._send_changes()
        except BaseException:
            self._depth = 0
            self._forget_changes()
            self._party_cache.clear()
            self._db.rollback()
            raise
        self._depth = 0
        self._party_cache.clear()  # other sessions may merge or edit parties between transactions
        self._db.commit()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one consistent catalogue (auto-fill of a whole season, a backup)."""
        if self._depth:
            yield
            return
        self._db.begin_snapshot()
        self._depth = 1
        try:
            yield
        finally:
            self._depth = 0
            self._db.rollback()

    @contextlib.contextmanager
    def savepoint(self, name: str = "item") -> Iterator[None]:
        """A part of the open transaction that fails alone: one bad import row is undone whole."""
        if not name.isidentifier():
            raise ValueError(f"savepoint name {name!r}")
        with self.transaction():
            self._db.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                self._party_cache.clear()
                self._db.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self._db.execute(f"RELEASE SAVEPOINT {name}")
                raise
            self._db.execute(f"RELEASE SAVEPOINT {name}")

    @contextlib.contextmanager
    def scratch_copy(self) -> Iterator[Catalogue]:
        """A throw-away catalogue to preview on: a file copy (SQLite) or a rolled-back
        transaction (PostgreSQL). Nothing written there reaches the real catalogue."""
        with self._db.scratch_copy() as scratch:
            copy = Catalogue(scratch, user=self.user)
            yield copy

    def _changed_entry(self, kind: str, entry_id: int) -> None:
        self._changed[kind].add(entry_id)

    def _forget_changes(self) -> None:
        for ids in self._changed.values():
            ids.clear()

    def _send_changes(self) -> None:
        if not any(self._changed.values()):
            return
        payload = json.dumps({"by": self.user, **{k: sorted(v) for k, v in self._changed.items()}})
        if len(payload.encode("utf-8")) > NOTIFY_LIMIT:
            payload = json.dumps({"by": self.user, "many": True})
        self._forget_changes()
        self._db.notify(payload)

    # --- works ------------------------------------------------------------
    def get_work(self, work_id: int) -> Work | None:
        return self.works_by_ids([work_id]).get(work_id)

    def _in(self, column: str, values: list[Any], cast: str) -> Iterator[tuple[str, list[Any]]]:
        """``column IN (...)`` for a long list of values, as the backend takes it best: SQLite in
        chunks of 500 bound values (its parameter limit), a server as one bound array
        (``= ANY``), so one statement, one plan and one round trip whatever the length."""
        if not values:
            return
        if self.kind == "postgresql":
            yield f"{column} = ANY(CAST(? AS {cast}[]))", [list(values)]
            return
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            yield f"{column} IN ({','.join('?' * len(chunk))})", chunk

    def works_by_ids(self, ids: list[int]) -> dict[int, Work]:
        """Many works in three queries (not three per work): search results and auto-fill."""
        out: dict[int, Work] = {}
        unique = list(dict.fromkeys(ids))
        for cond, params in self._in("id", unique, "BIGINT"):
            for row in self._db.execute("SELECT id, title, iswc, notes, version, updated_by, updated_at FROM works "
                                        f"WHERE {cond}", params).fetchall():
                out[row[0]] = Work(id=row[0], title=row[1], iswc=row[2], notes=row[3], version=row[4],
                                   updated_by=row[5], updated_at=row[6])
        for cond, params in self._in("work_id", unique, "BIGINT"):
            for work_id, title in self._db.execute(
                    f"SELECT work_id, title FROM work_titles WHERE {cond} "
                    "ORDER BY work_id, position, title_key", params).fetchall():
                out[work_id].alt_titles.append(title)
        for cond, params in self._in("wp.work_id", unique, "BIGINT"):
            for work_id, role, share, first, last, company, pro, ipi in self._db.execute(
                    "SELECT wp.work_id, wp.role, wp.share, p.first_name, p.last_name, p.company, p.pro, p.ipi "
                    "FROM work_parties wp JOIN parties p ON p.id = wp.party_id "
                    f"WHERE {cond} ORDER BY wp.work_id, wp.position", params).fetchall():
                out[work_id].parties.append(Party(role=role, first_name=first, last_name=last, company=company,
                                                  pro=pro, ipi=ipi, share=_fraction(share)))
        return out

    def recordings_by_keys(self, column: str, values: set[str]) -> list[Recording]:
        """Every recording whose ``column`` (isrc, catno_key or title_key) is one of ``values``:
        a whole sheet's lookups in a few queries instead of a few per cue."""
        if column not in ("isrc", "catno_key", "title_key"):
            raise ValueError(f"not a lookup column: {column}")
        out: list[Recording] = []
        keys = sorted(v for v in values if v)
        for cond, params in self._in(column, keys, "TEXT"):
            out += [_recording(r) for r in self._db.execute(
                f"SELECT {_REC_COLS} FROM recordings WHERE {cond} ORDER BY id", params).fetchall()]
        return out

    def recordings_matching(self, isrcs: set[str], codes: set[str],
                            titles: set[str]) -> list[tuple[Recording, str, str, str]]:
        """(recording, its catno_key, library_key, title_key) for every recording with one of these
        ISRCs, catalogue codes or title keys, in id order: a whole season's lookups in one
        statement on a server (the stored keys spare recomputing them per row)."""
        parts = [part for column, values in (("isrc", isrcs), ("catno_key", codes), ("title_key", titles))
                 for part in self._in(column, sorted(v for v in values if v), "TEXT")]
        if self.kind == "postgresql" and parts:  # one statement, three bound arrays
            parts = [(" OR ".join(c for c, _ in parts), [v for _, p in parts for v in p])]
        rows: dict[int, tuple] = {}
        for cond, params in parts:
            for r in self._db.execute(f"SELECT {_REC_COLS}, catno_key, library_key, title_key FROM recordings "
                                      f"WHERE {cond}", params).fetchall():
                rows[r[0]] = r
        return [(_recording(r[:-3]), r[-3], r[-2], r[-1]) for _, r in sorted(rows.items())]

    def recordings_by_ids(self, ids: list[int]) -> dict[int, Recording]:
        out: dict[int, Recording] = {}
        unique = list(dict.fromkeys(ids))
        for cond, params in self._in("id", unique, "BIGINT"):
            for row in self._db.execute(f"SELECT {_REC_COLS} FROM recordings WHERE {cond}", params).fetchall():
                out[row[0]] = _recording(row)
        return out

    def work_by_iswc(self, iswc: str) -> Work | None:
        key = normalize_iswc(iswc)
        if not key:
            return None
        row = self._db.execute("SELECT id FROM works WHERE iswc = ?", (key,)).fetchone()
        return self.get_work(row[0]) if row else None

    def works_by_title(self, title: str) -> list[Work]:
        key = norm_text(title)
        ids = [r[0] for r in self._db.execute(
            "SELECT id FROM works WHERE title_key = ? UNION "
            "SELECT work_id FROM work_titles WHERE title_key = ? ORDER BY 1", (key, key))]
        return [w for w in (self.get_work(i) for i in ids) if w]

    def save_work(self, work: Work) -> int:
        """Insert (id 0) or replace a work with its alternative titles and credits; returns its id.

        A work read at ``work.version`` is saved only if nobody saved it since; otherwise
        ``ConflictError`` carries the stored version (who, when) and nothing is written.
        """
        problems = work_problems(work)
        if problems:
            raise CatalogueError(f"work {work.title or work.id!r}: " + "; ".join(problems))
        iswc = normalize_iswc(work.iswc)
        now = utc_now()
        with self.transaction():
            if iswc:
                other = self._db.execute("SELECT id, title FROM works WHERE iswc = ? AND id != ?",
                                         (iswc, work.id)).fetchone()
                if other:
                    raise CatalogueError(
                        f"work {work.title!r}: ISWC {iswc} is already used by work {other[0]} ({other[1]!r})")
            values = (work.title.strip(), norm_text(work.title), iswc, work.notes, self.user, now)
            old: Work | None = None
            if work.id:
                old = self.get_work(work.id)
                if old is None:
                    raise CatalogueError(f"work {work.id} does not exist (deleted in another window?)")
                if work.version and old.version != work.version:
                    raise _conflict("work", work, old)
                if _same_work(old, work, iswc):  # nothing to save: no new version for others to trip on
                    self.last_save_changed = False
                    work.iswc, work.version, work.updated_by, work.updated_at = (
                        iswc, old.version, old.updated_by, old.updated_at)
                    return work.id
                cur = self._write(
                    "UPDATE works SET title=?, title_key=?, iswc=?, notes=?, updated_by=?, updated_at=?, "
                    "version = version + 1 WHERE id=? AND version=?", (*values, work.id, old.version))
                if cur.rowcount == 0:  # saved by someone else between our read and our write
                    raise _conflict("work", work, self.get_work(work.id) or old)
                work_id, version = work.id, old.version + 1
            else:
                work_id = self._insert("INSERT INTO works (title, title_key, iswc, notes, updated_by, updated_at) "
                                       "VALUES (?,?,?,?,?,?)", values)
                version = 1
            if old is not None:  # a new work has nothing to replace: two round trips fewer
                self._db.execute("DELETE FROM work_titles WHERE work_id = ?", (work_id,))
                self._db.execute("DELETE FROM work_parties WHERE work_id = ?", (work_id,))
            alts = [(work_id, alt.strip(), norm_text(alt), position) for position, alt in enumerate(work.alt_titles)
                    if alt.strip() and norm_text(alt) != norm_text(work.title)]
            if alts:
                self._insert_rows("work_titles (work_id, title, title_key, position)", alts,
                                  " ON CONFLICT DO NOTHING")
            credits = [(work_id, position, self._party_id(p), p.role, _share_text(p.share))
                       for position, p in enumerate(work.parties)]
            if credits:
                self._insert_rows("work_parties (work_id, position, party_id, role, share)", credits)
            self._record(work_id, now, work_changes(old, work, iswc))
            self._changed_entry("works", work_id)
        work.id, work.iswc, work.version, work.updated_by, work.updated_at = work_id, iswc, version, self.user, now
        self.last_save_changed = True
        return work_id

    def delete_work(self, work_id: int, version: int = 0) -> None:
        """Delete a work (its recordings stay, unlinked); refused if saved since ``version``."""
        with self.transaction():
            old = self.get_work(work_id)
            if old is None:
                return
            if version and old.version != version:
                raise _conflict("work", Work(id=work_id, title=old.title, version=version), old)
            self._db.execute("UPDATE recordings SET work_id = NULL WHERE work_id = ?", (work_id,))
            self._db.execute("DELETE FROM works WHERE id = ?", (work_id,))
            from cuesheet_app.domain.parties import format_parties

            self._record(work_id, utc_now(), [("deleted", f"{old.title}: {format_parties(old.parties)}", "")])
            self._changed_entry("works", work_id)

    def history(self, work_id: int) -> list[HistoryEntry]:
        """Every recorded change to this work's rights, oldest first."""
        return [HistoryEntry(work_id, at, who, field, old, new) for at, who, field, old, new in self._db.execute(
            "SELECT at, who, field, old, new FROM work_history WHERE work_id = ? ORDER BY id", (work_id,))]

    def _party_id(self, p: Party) -> int:
        """party_id_for, remembered for this session's open transaction: a sheet credits the
        same few writers and publishers on thousands of rows. Forgotten on any rollback."""
        key = (p.first_name.strip(), p.last_name.strip(), p.company.strip(), p.pro.strip().upper(),
               normalize_ipi(p.ipi))
        pid = self._party_cache.get(key)
        if pid is None:
            pid = self._party_cache[key] = party_id_for(self._db, p)
        return pid

    def _record(self, work_id: int, at: str, changes: list[tuple[str, str, str]]) -> None:
        if changes:
            self._insert_rows("work_history (work_id, at, who, field, old, new)",
                              [(work_id, at, self.user, f, o, n) for f, o, n in changes])

    def _insert_rows(self, target: str, rows: list[tuple], tail: str = "") -> None:
        """Several rows in one statement (one round trip to a server), every value bound."""
        marks = "(" + ",".join("?" * len(rows[0])) + ")"
        self._db.execute(f"INSERT INTO {target} VALUES {','.join([marks] * len(rows))}{tail}",
                         [v for row in rows for v in row])

    def _write(self, sql: str, params: tuple) -> Any:
        try:
            return self._db.execute(sql, params)
        except self._integrity as exc:
            raise CatalogueError(f"refused by the catalogue: {str(exc).splitlines()[0]}") from None

    def _insert(self, sql: str, params: tuple) -> int:
        try:
            return self._db.insert(sql, params)
        except self._integrity as exc:
            raise CatalogueError(f"refused by the catalogue: {str(exc).splitlines()[0]}") from None

    # --- recordings -------------------------------------------------------
    def get_recording(self, recording_id: int) -> Recording | None:
        row = self._db.execute(f"SELECT {_REC_COLS} FROM recordings WHERE id = ?", (recording_id,)).fetchone()
        return _recording(row) if row else None

    def recording_by_isrc(self, isrc: str) -> Recording | None:
        key = normalize_isrc(isrc)
        if not key:
            return None
        row = self._db.execute(f"SELECT {_REC_COLS} FROM recordings WHERE isrc = ?", (key,)).fetchone()
        return _recording(row) if row else None

    def recordings_by_catalogue_number(self, library: str, catalogue_number: str) -> list[Recording]:
        """Same catalogue code; the library must match too when both sides name one."""
        code = norm_code(catalogue_number)
        if not code:
            return []
        lib = norm_code(library)
        rows = self._db.execute(
            f"SELECT {_REC_COLS} FROM recordings WHERE catno_key = ? AND (? = '' OR library_key = '' "
            "OR library_key = ?) ORDER BY CASE WHEN library_key = ? THEN 0 ELSE 1 END, id",
            (code, lib, lib, lib)).fetchall()
        return [_recording(r) for r in rows]

    def recordings_by_title(self, title: str) -> list[Recording]:
        key = norm_text(title)
        if not key:
            return []
        rows = self._db.execute(f"SELECT {_REC_COLS} FROM recordings WHERE title_key = ? ORDER BY id",
                                (key,)).fetchall()
        return [_recording(r) for r in rows]

    def recordings_of_work(self, work_id: int) -> list[Recording]:
        rows = self._db.execute(f"SELECT {_REC_COLS} FROM recordings WHERE work_id = ? ORDER BY id",
                                (work_id,)).fetchall()
        return [_recording(r) for r in rows]

    def save_recording(self, rec: Recording) -> int:
        """Insert (id 0) or update a recording; a second recording with the same ISRC is refused,
        and so is a save over a newer version (``ConflictError``)."""
        problems = recording_problems(rec)
        if problems:
            raise CatalogueError(f"recording {rec.title or rec.isrc!r}: " + "; ".join(problems))
        isrc = normalize_isrc(rec.isrc)
        now = utc_now()
        with self.transaction():
            if isrc:
                other = self._db.execute("SELECT id, title FROM recordings WHERE isrc = ? AND id != ?",
                                         (isrc, rec.id)).fetchone()
                if other:
                    raise CatalogueError(
                        f"recording {rec.title!r}: ISRC {isrc} is already used by recording {other[0]} "
                        f"({other[1]!r})")
            values = (rec.work_id, isrc, rec.title.strip(), norm_text(rec.title), json.dumps(rec.artists),
                      json.dumps(norm_artists(rec.artists)), rec.album, rec.label, rec.release_date,
                      rec.library, norm_code(rec.library), rec.catalogue_number, norm_code(rec.catalogue_number),
                      rec.track_number, rec.duration_s, rec.source_file, self.user, now)
            cols = ("work_id, isrc, title, title_key, artists, artists_key, album, label, release_date, library, "
                    "library_key, catalogue_number, catno_key, track_number, duration_s, source_file, "
                    "updated_by, updated_at")
            old: Recording | None = None
            if rec.id:
                old = self.get_recording(rec.id)
                if old is None:
                    raise CatalogueError(f"recording {rec.id} does not exist (deleted in another window?)")
                if rec.version and old.version != rec.version:
                    raise _conflict("recording", rec, old)
                if _same_recording(old, rec, isrc):
                    self.last_save_changed = False
                    rec.isrc, rec.version, rec.updated_by, rec.updated_at = (
                        isrc, old.version, old.updated_by, old.updated_at)
                    return rec.id
                sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
                cur = self._write(f"UPDATE recordings SET {sets}, version = version + 1 WHERE id = ? AND version = ?",
                                  (*values, rec.id, old.version))
                if cur.rowcount == 0:
                    raise _conflict("recording", rec, self.get_recording(rec.id) or old)
                rec_id, version = rec.id, old.version + 1
            else:
                marks = ",".join("?" * len(values))
                rec_id = self._insert(f"INSERT INTO recordings ({cols}) VALUES ({marks})", values)
                version = 1
            old_isrc = old.isrc if old else ""
            if old_isrc != isrc and (rec.work_id or (old and old.work_id)):
                self._record(int(rec.work_id or (old.work_id if old else 0) or 0), now,
                             [("isrc", old_isrc, isrc)])
            self._changed_entry("recordings", rec_id)
        rec.id, rec.isrc, rec.version, rec.updated_by, rec.updated_at = rec_id, isrc, version, self.user, now
        self.last_save_changed = True
        return rec_id

    def delete_recording(self, recording_id: int, version: int = 0) -> None:
        with self.transaction():
            old = self.get_recording(recording_id)
            if old is None:
                return
            if version and old.version != version:
                raise _conflict("recording", Recording(id=recording_id, title=old.title, version=version), old)
            self._db.execute("DELETE FROM recordings WHERE id = ?", (recording_id,))
            self._changed_entry("recordings", recording_id)

    # --- party directory --------------------------------------------------
    def parties(self, text: str = "") -> list[DirectoryParty]:
        key = f"%{norm_text(text)}%"
        ipi = normalize_ipi(text)
        rows = self._db.execute(
            "SELECT p.id, p.first_name, p.last_name, p.company, p.pro, p.ipi, "
            "(SELECT COUNT(*) FROM work_parties wp WHERE wp.party_id = p.id) "
            "FROM parties p WHERE p.name_key LIKE ? OR (? != '' AND p.ipi LIKE ?) "
            "ORDER BY p.name_key, p.id", (key, ipi, f"%{ipi}%")).fetchall()
        return [DirectoryParty(*r) for r in rows]

    def add_party(self, party: Party) -> int:
        """The directory entry for this person/company (found or created)."""
        with self.transaction():
            return party_id_for(self._db, party)

    def _works_crediting(self, party_ids: list[int]) -> list[Work]:
        ids: set[int] = set()
        for pid in party_ids:
            ids.update(r[0] for r in self._db.execute("SELECT DISTINCT work_id FROM work_parties WHERE party_id = ?",
                                                      (pid,)))
        return [w for w in (self.get_work(i) for i in sorted(ids)) if w]

    def _record_directory_change(self, before: list[Work]) -> None:
        """A directory edit changes every work crediting the party: each gets a history line."""
        from cuesheet_app.domain.parties import format_parties

        now = utc_now()
        for old in before:
            new = self.get_work(old.id)
            if new is None:
                continue
            was, now_text = format_parties(old.parties), format_parties(new.parties)
            if was != now_text:
                self._record(old.id, now, [("parties", was, now_text)])
                self._db.execute("UPDATE works SET version = version + 1, updated_by = ?, updated_at = ? "
                                 "WHERE id = ?", (self.user, now, old.id))
                self._changed_entry("works", old.id)

    def update_party(self, entry: DirectoryParty) -> None:
        """Edit a directory entry: every work crediting it follows (that is the point of a directory)."""
        ipi = normalize_ipi(entry.ipi)
        if not entry.display_name.strip():
            raise CatalogueError(f"party {entry.id}: a party needs a name or a company")
        if ipi and not (ipi.isdigit() and 9 <= len(ipi) <= 11):
            raise CatalogueError(f"party {entry.display_name!r}: IPI {entry.ipi!r} must be 9 to 11 digits")
        with self.transaction():
            if ipi:
                other = self._db.execute("SELECT id FROM parties WHERE ipi = ? AND id != ?",
                                         (ipi, entry.id)).fetchone()
                if other:
                    raise CatalogueError(
                        f"party {entry.display_name!r}: IPI {ipi} belongs to party {other[0]}; merge them instead")
            self._party_cache.clear()
            before = self._works_crediting([entry.id])
            self._db.execute(
                "UPDATE parties SET first_name=?, last_name=?, company=?, pro=?, ipi=?, name_key=? WHERE id=?",
                (entry.first_name, entry.last_name, entry.company, entry.pro.upper(), ipi,
                 norm_party_name(entry.first_name, entry.last_name, entry.company), entry.id))
            self._record_directory_change(before)

    def merge_parties(self, keep_id: int, drop_ids: list[int]) -> int:
        """Point every credit of ``drop_ids`` at ``keep_id`` and delete them; returns credits moved.

        Empty PRO/IPI of the kept entry are completed from the merged ones.
        """
        drop = [d for d in drop_ids if d != keep_id]
        moved = 0
        with self.transaction():
            keep = self._db.execute("SELECT pro, ipi FROM parties WHERE id = ?", (keep_id,)).fetchone()
            if keep is None:
                raise CatalogueError(f"party {keep_id} does not exist")
            self._party_cache.clear()
            before = self._works_crediting([keep_id, *drop])
            pro, ipi = keep
            for d in drop:
                row = self._db.execute("SELECT pro, ipi FROM parties WHERE id = ?", (d,)).fetchone()
                if row is None:
                    continue
                pro, ipi = pro or row[0], ipi or row[1]
                moved += self._db.execute("UPDATE work_parties SET party_id = ? WHERE party_id = ?",
                                          (keep_id, d)).rowcount
                self._db.execute("DELETE FROM parties WHERE id = ?", (d,))
            self._db.execute("UPDATE parties SET pro = ?, ipi = ? WHERE id = ?", (pro, ipi, keep_id))
            self._record_directory_change(before)
        return moved

    # --- search and health ------------------------------------------------
    def search(self, text: str = "", limit: int = 500) -> list[SearchHit]:
        """Recordings (with their work) and recording-less works matching title, alternative title,
        writer, publisher, artist, ISRC, ISWC or catalogue code. Empty text lists everything.

        The text is only ever a bound LIKE pattern (its own % and _ escaped), never SQL. Each
        branch is a plain LIKE on one indexed column (trigram indexes on PostgreSQL), so a
        100,000-work catalogue answers in milliseconds; the hits are then read in a few queries.
        """
        words, code, ident = norm_text(text), norm_code(text), normalize_isrc(text)
        if not (words or code or ident):
            rows = self._db.execute(
                f"SELECT {_HIT_COLS} FROM recordings r UNION ALL SELECT {_WORK_HIT_COLS} FROM works w "
                "WHERE NOT EXISTS (SELECT 1 FROM recordings r WHERE r.work_id = w.id) LIMIT ?", (limit,)).fetchall()
        else:
            params = {"key": f"%{_like(words)}%", "code": f"%{_like(code)}%", "ident": f"%{_like(ident)}%",
                      "limit": limit}
            rows = self._db.execute(_search_sql(bool(words), bool(code), bool(ident)), params).fetchall()
        # Each row is a whole recording (or a work's id) and its stored title key: the hits' works
        # are the only further read, and sorting needs no normalising of 500 titles again.
        works = self.works_by_ids([row[1] for row in rows if row[1] is not None])
        keyed = []
        for row in rows:
            hit = SearchHit(work=works.get(row[1]) if row[1] is not None else None,
                            recording=_recording(row[:-1]) if row[0] is not None else None)
            key = row[-1] if hit.recording is None or hit.recording.title else norm_text(hit.title)
            keyed.append(((key, row[0] or 0), hit))
        keyed.sort(key=lambda k: k[0])
        return [hit for _, hit in keyed]

    def all_works(self) -> list[Work]:
        return [w for w in (self.get_work(r[0]) for r in self._db.execute("SELECT id FROM works ORDER BY id").fetchall())
                if w]

    def all_recordings(self) -> list[Recording]:
        return [_recording(r) for r in self._db.execute(f"SELECT {_REC_COLS} FROM recordings ORDER BY id").fetchall()]

    def counts(self) -> dict[str, int]:
        return {table: int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for table in ("works", "recordings", "parties", "work_parties")}

    def integrity_check(self) -> str:
        """'ok' when the catalogue is sound (SQLite checks its file; the server enforces its keys)."""
        return self._db.integrity_check()


@functools.lru_cache(maxsize=8)
def _search_sql(words: bool, code: bool, ident: bool) -> str:
    """The search statement with only the branches the text can match (a trigram index cannot
    help a pattern it has no trigrams for, so an always-false branch would scan the whole index).
    Which branches appear depends only on which kinds of key the text has; values stay bound."""
    def any_of(*conds: tuple[bool, str]) -> str:
        return " OR ".join(c for ok, c in conds if ok) or "1 = 0"

    def first(select: str) -> str:  # a branch stops at the limit: a common word needs no full scan
        return f"SELECT * FROM ({select} LIMIT :limit) AS b"

    work_parts = [first(f"SELECT id FROM works WHERE {any_of((words, 'title_key LIKE :key ESCAPE ' + _E), (ident, 'iswc LIKE :ident ESCAPE ' + _E))}")]
    if words:
        work_parts.append(first(f"SELECT work_id FROM work_titles WHERE title_key LIKE :key ESCAPE {_E}"))
    if words or ident:
        work_parts.append(first("SELECT wp.work_id FROM work_parties wp JOIN parties p ON p.id = wp.party_id WHERE "
                                + any_of((words, f"p.name_key LIKE :key ESCAPE {_E}"),
                                         (ident, f"p.ipi LIKE :ident ESCAPE {_E}"))))
    rec_cond = any_of((words, f"title_key LIKE :key ESCAPE {_E}"), (ident, f"isrc LIKE :ident ESCAPE {_E}"),
                      (words, f"artists_key LIKE :key ESCAPE {_E}"), (code, f"catno_key LIKE :code ESCAPE {_E}"),
                      (code, f"library_key LIKE :code ESCAPE {_E}"))
    # Every work in wm gives at least one hit (its recordings, or itself), so stopping each branch
    # at the limit still fills the limit whenever more matches exist.
    return (f"WITH wm AS ({' UNION '.join(work_parts)}), "
            f"rm AS ({first(f'SELECT id FROM recordings WHERE {rec_cond}')} "
            "UNION SELECT r.id FROM recordings r JOIN wm ON wm.id = r.work_id) "
            f"SELECT {_HIT_COLS} FROM recordings r WHERE r.id IN (SELECT id FROM rm) "
            f"UNION ALL SELECT {_WORK_HIT_COLS} FROM works w WHERE w.id IN (SELECT id FROM wm) "
            "AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.work_id = w.id) LIMIT :limit")


_E = "'!'"

_REC_COLS = ("id, work_id, isrc, title, artists, album, label, release_date, library, catalogue_number, "
             "track_number, duration_s, source_file, version, updated_by, updated_at")

# A search hit row: every recording column and the title key it is sorted by; a recording-less
# work fills the same columns with NULL but its id and title key.
_HIT_COLS = ", ".join(f"r.{c.strip()}" for c in _REC_COLS.split(",")) + ", r.title_key"
_WORK_HIT_COLS = "NULL, w.id, " + ", ".join(["NULL"] * (len(_REC_COLS.split(",")) - 2)) + ", w.title_key"


def _recording(row: tuple) -> Recording:
    (rid, work_id, isrc, title, artists, album, label, release_date, library, catno, track, duration,
     source, version, updated_by, updated_at) = row
    return Recording(id=rid, work_id=work_id, isrc=isrc, title=title, artists=list(_artists(artists or "[]")),
                     album=album, label=label, release_date=release_date, library=library,
                     catalogue_number=catno, track_number=track, duration_s=duration, source_file=source,
                     version=version, updated_by=updated_by, updated_at=updated_at)


@functools.lru_cache(maxsize=4096)
def _artists(stored: str) -> tuple[str, ...]:
    """The stored JSON list of artists (a library repeats the same few thousand; each caller
    gets its own list made from this tuple)."""
    return tuple(json.loads(stored))


def _same_work(old: Work, new: Work, iswc: str) -> bool:
    from cuesheet_app.domain.parties import format_parties

    alts = [a.strip() for a in new.alt_titles if a.strip() and norm_text(a) != norm_text(new.title)]
    return (old.title, old.iswc, old.notes, old.alt_titles, format_parties(old.parties)) == (
        new.title.strip(), iswc, new.notes, alts, format_parties(new.parties))


def _same_recording(old: Recording, new: Recording, isrc: str) -> bool:
    from cuesheet_app.rights.records import RECORDING_FIELDS

    return old.work_id == new.work_id and old.isrc == isrc and all(
        getattr(old, f) == (getattr(new, f).strip() if f == "title" else getattr(new, f))
        for f in RECORDING_FIELDS if f != "isrc")


def _like(text: str) -> str:
    """Escape LIKE's wildcards (with '!') so a user's % or _ matches itself."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _conflict(kind: str, ours: Any, theirs: Any) -> ConflictError:
    who = theirs.updated_by or "someone"
    title = getattr(ours, "title", "") or getattr(theirs, "title", "")
    return ConflictError(
        f"{kind} {title!r} was changed by {who} at {theirs.updated_at} UTC after you opened it "
        f"(version {theirs.version}, yours was {ours.version}); nothing was saved — compare the two versions",
        ours=ours, theirs=theirs)


@functools.lru_cache(maxsize=1024)
def _fraction(share: str) -> Fraction:
    """A stored share as a number: a catalogue holds few distinct shares, and Fraction's parser
    is what reading thousands of credits would otherwise spend its time in (immutable: safe to share)."""
    return Fraction(share)


def _share_text(share: Fraction) -> str:
    share = Fraction(share)
    return str(share.numerator) if share.denominator == 1 else f"{share.numerator}/{share.denominator}"
