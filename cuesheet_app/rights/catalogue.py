"""The rights catalogue: works, recordings and a party directory in one SQLite file.

Every public change is one transaction (``BEGIN IMMEDIATE``), the file runs in WAL mode
with a busy timeout, so two app windows and the CLI can write at the same time: a writer
waits for the other instead of failing, and readers never see half a change.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

from cuesheet_app.domain.identifiers import normalize_ipi, normalize_isrc, normalize_iswc
from cuesheet_app.domain.model import Party
from cuesheet_app.rights.checks import recording_problems, work_problems
from cuesheet_app.rights.normalize import norm_artists, norm_code, norm_party_name, norm_text
from cuesheet_app.rights.party_rows import party_id_for
from cuesheet_app.rights.records import DirectoryParty, Recording, SearchHit, Work
from cuesheet_app.rights.schema import SchemaError, check_version, migrate

__all__ = ["Catalogue", "CatalogueError", "SchemaError"]
SCRATCH_NAME = "preview.sqlite"


class CatalogueError(Exception):
    """A change was refused (invalid data, duplicate ISRC/ISWC, unreadable file); nothing was written."""


class Catalogue:
    """One open catalogue file. Not shared between threads; open one per window/process."""

    def __init__(self, path: str | Path, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), timeout=timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise CatalogueError(f"Cannot open catalogue {self.path}: {exc}") from exc
        self._depth = 0
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            check_version(self._conn, str(self.path))
            self._use_wal(timeout_s)
            self._conn.execute("PRAGMA foreign_keys = ON")
            migrate(self._conn, str(self.path))
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise CatalogueError(f"Cannot open catalogue {self.path}: {exc}") from exc
        except SchemaError:
            self._conn.close()
            raise

    def _use_wal(self, timeout_s: float) -> None:
        """WAL lets readers and one writer work at once; it is stored in the file, so set it once.

        Switching to WAL needs the file to itself and SQLite does not call the busy handler
        for it, so a second process opening a brand-new catalogue retries here.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if self._conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                    return
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # --- lifetime ---------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

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
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def savepoint(self, name: str = "item") -> Iterator[None]:
        """A part of the open transaction that fails alone: one bad import row is undone whole."""
        with self.transaction():
            self._conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                self._conn.execute(f"ROLLBACK TO {name}")
                self._conn.execute(f"RELEASE {name}")
                raise
            self._conn.execute(f"RELEASE {name}")

    @contextlib.contextmanager
    def scratch_copy(self) -> Iterator[Catalogue]:
        """A throw-away copy of this catalogue (SQLite online backup): previews write there."""
        with tempfile.TemporaryDirectory(prefix="cuesheet-preview-") as tmp:
            target = Path(tmp) / SCRATCH_NAME
            dest = sqlite3.connect(str(target))
            try:
                self._conn.backup(dest)
            except sqlite3.Error as exc:
                raise CatalogueError(f"Cannot copy catalogue {self.path} for a preview: {exc}") from exc
            finally:
                dest.close()
            copy = Catalogue(target)
            try:
                yield copy
            finally:
                copy.close()

    # --- works ------------------------------------------------------------
    def get_work(self, work_id: int) -> Work | None:
        row = self._conn.execute("SELECT id, title, iswc, notes FROM works WHERE id = ?", (work_id,)).fetchone()
        if row is None:
            return None
        work = Work(id=row[0], title=row[1], iswc=row[2], notes=row[3])
        work.alt_titles = [r[0] for r in self._conn.execute(
            "SELECT title FROM work_titles WHERE work_id = ? ORDER BY rowid", (work_id,))]
        work.parties = [
            Party(role=role, first_name=first, last_name=last, company=company, pro=pro, ipi=ipi,
                  share=Fraction(share))
            for role, share, first, last, company, pro, ipi in self._conn.execute(
                "SELECT wp.role, wp.share, p.first_name, p.last_name, p.company, p.pro, p.ipi "
                "FROM work_parties wp JOIN parties p ON p.id = wp.party_id "
                "WHERE wp.work_id = ? ORDER BY wp.position", (work_id,))
        ]
        return work

    def work_by_iswc(self, iswc: str) -> Work | None:
        key = normalize_iswc(iswc)
        if not key:
            return None
        row = self._conn.execute("SELECT id FROM works WHERE iswc = ?", (key,)).fetchone()
        return self.get_work(row[0]) if row else None

    def works_by_title(self, title: str) -> list[Work]:
        key = norm_text(title)
        ids = [r[0] for r in self._conn.execute(
            "SELECT id FROM works WHERE title_key = ? UNION "
            "SELECT work_id FROM work_titles WHERE title_key = ? ORDER BY 1", (key, key))]
        return [w for w in (self.get_work(i) for i in ids) if w]

    def save_work(self, work: Work) -> int:
        """Insert (id 0) or replace a work with its alternative titles and credits; returns its id."""
        problems = work_problems(work)
        if problems:
            raise CatalogueError(f"work {work.title or work.id!r}: " + "; ".join(problems))
        iswc = normalize_iswc(work.iswc)
        with self.transaction():
            if iswc:
                other = self._conn.execute("SELECT id, title FROM works WHERE iswc = ? AND id != ?",
                                           (iswc, work.id)).fetchone()
                if other:
                    raise CatalogueError(
                        f"work {work.title!r}: ISWC {iswc} is already used by work {other[0]} ({other[1]!r})")
            values = (work.title.strip(), norm_text(work.title), iswc, work.notes)
            if work.id:
                cur = self._conn.execute(
                    "UPDATE works SET title=?, title_key=?, iswc=?, notes=?, updated_at=datetime('now') "
                    "WHERE id=?", (*values, work.id))
                if cur.rowcount == 0:
                    raise CatalogueError(f"work {work.id} does not exist (deleted in another window?)")
                work_id = work.id
            else:
                cur = self._conn.execute("INSERT INTO works (title, title_key, iswc, notes) VALUES (?,?,?,?)",
                                         values)
                work_id = int(cur.lastrowid or 0)
            self._conn.execute("DELETE FROM work_titles WHERE work_id = ?", (work_id,))
            for alt in work.alt_titles:
                if alt.strip() and norm_text(alt) != norm_text(work.title):
                    self._conn.execute("INSERT OR IGNORE INTO work_titles VALUES (?,?,?)",
                                       (work_id, alt.strip(), norm_text(alt)))
            self._conn.execute("DELETE FROM work_parties WHERE work_id = ?", (work_id,))
            for position, p in enumerate(work.parties):
                pid = party_id_for(self._conn, p)
                self._conn.execute("INSERT INTO work_parties VALUES (?,?,?,?,?)",
                                   (work_id, position, pid, p.role, _share_text(p.share)))
        work.id = work_id
        work.iswc = iswc
        return work_id

    def delete_work(self, work_id: int) -> None:
        with self.transaction():
            self._conn.execute("UPDATE recordings SET work_id = NULL WHERE work_id = ?", (work_id,))
            self._conn.execute("DELETE FROM works WHERE id = ?", (work_id,))

    # --- recordings -------------------------------------------------------
    def get_recording(self, recording_id: int) -> Recording | None:
        row = self._conn.execute(f"SELECT {_REC_COLS} FROM recordings WHERE id = ?", (recording_id,)).fetchone()
        return _recording(row) if row else None

    def recording_by_isrc(self, isrc: str) -> Recording | None:
        key = normalize_isrc(isrc)
        if not key:
            return None
        row = self._conn.execute(f"SELECT {_REC_COLS} FROM recordings WHERE isrc = ?", (key,)).fetchone()
        return _recording(row) if row else None

    def recordings_by_catalogue_number(self, library: str, catalogue_number: str) -> list[Recording]:
        """Same catalogue code; the library must match too when both sides name one."""
        code = norm_code(catalogue_number)
        if not code:
            return []
        lib = norm_code(library)
        rows = self._conn.execute(
            f"SELECT {_REC_COLS} FROM recordings WHERE catno_key = ? AND (? = '' OR library_key = '' "
            "OR library_key = ?) ORDER BY (library_key = ?) DESC, id", (code, lib, lib, lib)).fetchall()
        return [_recording(r) for r in rows]

    def recordings_by_title(self, title: str) -> list[Recording]:
        key = norm_text(title)
        if not key:
            return []
        rows = self._conn.execute(f"SELECT {_REC_COLS} FROM recordings WHERE title_key = ? ORDER BY id",
                                  (key,)).fetchall()
        return [_recording(r) for r in rows]

    def recordings_of_work(self, work_id: int) -> list[Recording]:
        rows = self._conn.execute(f"SELECT {_REC_COLS} FROM recordings WHERE work_id = ? ORDER BY id",
                                  (work_id,)).fetchall()
        return [_recording(r) for r in rows]

    def save_recording(self, rec: Recording) -> int:
        """Insert (id 0) or update a recording; a second recording with the same ISRC is refused."""
        problems = recording_problems(rec)
        if problems:
            raise CatalogueError(f"recording {rec.title or rec.isrc!r}: " + "; ".join(problems))
        isrc = normalize_isrc(rec.isrc)
        with self.transaction():
            if isrc:
                other = self._conn.execute("SELECT id, title FROM recordings WHERE isrc = ? AND id != ?",
                                           (isrc, rec.id)).fetchone()
                if other:
                    raise CatalogueError(
                        f"recording {rec.title!r}: ISRC {isrc} is already used by recording {other[0]} "
                        f"({other[1]!r})")
            values = (rec.work_id, isrc, rec.title.strip(), norm_text(rec.title), json.dumps(rec.artists),
                      json.dumps(norm_artists(rec.artists)), rec.album, rec.label, rec.release_date,
                      rec.library, norm_code(rec.library), rec.catalogue_number, norm_code(rec.catalogue_number),
                      rec.track_number, rec.duration_s, rec.source_file)
            cols = ("work_id, isrc, title, title_key, artists, artists_key, album, label, release_date, library, "
                    "library_key, catalogue_number, catno_key, track_number, duration_s, source_file")
            if rec.id:
                sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
                cur = self._conn.execute(
                    f"UPDATE recordings SET {sets}, updated_at = datetime('now') WHERE id = ?", (*values, rec.id))
                if cur.rowcount == 0:
                    raise CatalogueError(f"recording {rec.id} does not exist (deleted in another window?)")
                rec_id = rec.id
            else:
                marks = ",".join("?" * len(values))
                cur = self._conn.execute(f"INSERT INTO recordings ({cols}) VALUES ({marks})", values)
                rec_id = int(cur.lastrowid or 0)
        rec.id = rec_id
        rec.isrc = isrc
        return rec_id

    def delete_recording(self, recording_id: int) -> None:
        with self.transaction():
            self._conn.execute("DELETE FROM recordings WHERE id = ?", (recording_id,))

    # --- party directory --------------------------------------------------
    def parties(self, text: str = "") -> list[DirectoryParty]:
        key = f"%{norm_text(text)}%"
        ipi = normalize_ipi(text)
        rows = self._conn.execute(
            "SELECT p.id, p.first_name, p.last_name, p.company, p.pro, p.ipi, "
            "(SELECT COUNT(*) FROM work_parties wp WHERE wp.party_id = p.id) "
            "FROM parties p WHERE p.name_key LIKE ? OR (? != '' AND p.ipi LIKE ?) "
            "ORDER BY p.name_key, p.id", (key, ipi, f"%{ipi}%")).fetchall()
        return [DirectoryParty(*r) for r in rows]

    def add_party(self, party: Party) -> int:
        """The directory entry for this person/company (found or created)."""
        with self.transaction():
            return party_id_for(self._conn, party)

    def update_party(self, entry: DirectoryParty) -> None:
        """Edit a directory entry: every work crediting it follows (that is the point of a directory)."""
        ipi = normalize_ipi(entry.ipi)
        if not entry.display_name.strip():
            raise CatalogueError(f"party {entry.id}: a party needs a name or a company")
        if ipi and not (ipi.isdigit() and 9 <= len(ipi) <= 11):
            raise CatalogueError(f"party {entry.display_name!r}: IPI {entry.ipi!r} must be 9 to 11 digits")
        with self.transaction():
            if ipi:
                other = self._conn.execute("SELECT id FROM parties WHERE ipi = ? AND id != ?",
                                           (ipi, entry.id)).fetchone()
                if other:
                    raise CatalogueError(
                        f"party {entry.display_name!r}: IPI {ipi} belongs to party {other[0]}; merge them instead")
            self._conn.execute(
                "UPDATE parties SET first_name=?, last_name=?, company=?, pro=?, ipi=?, name_key=? WHERE id=?",
                (entry.first_name, entry.last_name, entry.company, entry.pro.upper(), ipi,
                 norm_party_name(entry.first_name, entry.last_name, entry.company), entry.id))

    def merge_parties(self, keep_id: int, drop_ids: list[int]) -> int:
        """Point every credit of ``drop_ids`` at ``keep_id`` and delete them; returns credits moved.

        Empty PRO/IPI of the kept entry are completed from the merged ones.
        """
        drop = [d for d in drop_ids if d != keep_id]
        moved = 0
        with self.transaction():
            keep = self._conn.execute("SELECT pro, ipi FROM parties WHERE id = ?", (keep_id,)).fetchone()
            if keep is None:
                raise CatalogueError(f"party {keep_id} does not exist")
            pro, ipi = keep
            for d in drop:
                row = self._conn.execute("SELECT pro, ipi FROM parties WHERE id = ?", (d,)).fetchone()
                if row is None:
                    continue
                pro, ipi = pro or row[0], ipi or row[1]
                moved += self._conn.execute("UPDATE work_parties SET party_id = ? WHERE party_id = ?",
                                            (keep_id, d)).rowcount
                self._conn.execute("DELETE FROM parties WHERE id = ?", (d,))
            self._conn.execute("UPDATE parties SET pro = ?, ipi = ? WHERE id = ?", (pro, ipi, keep_id))
        return moved

    # --- search and health ------------------------------------------------
    def search(self, text: str = "", limit: int = 500) -> list[SearchHit]:
        """Recordings (with their work) and recording-less works matching title, alternative title,
        writer, publisher, artist, ISRC, ISWC or catalogue code. Empty text lists everything."""
        key = f"%{norm_text(text)}%"
        code = f"%{norm_code(text)}%"
        ident = normalize_isrc(text)
        ident_like = f"%{ident}%" if ident else "\x00"
        work_match = (
            "(w.title_key LIKE :key OR w.iswc LIKE :ident "
            " OR EXISTS (SELECT 1 FROM work_titles t WHERE t.work_id = w.id AND t.title_key LIKE :key)"
            " OR EXISTS (SELECT 1 FROM work_parties wp JOIN parties p ON p.id = wp.party_id"
            "            WHERE wp.work_id = w.id AND (p.name_key LIKE :key OR p.ipi LIKE :ident)))"
        )
        params = {"key": key, "code": code, "ident": ident_like, "limit": limit}
        rows = self._conn.execute(
            f"SELECT r.id, r.work_id FROM recordings r LEFT JOIN works w ON w.id = r.work_id "
            f"WHERE r.title_key LIKE :key OR r.isrc LIKE :ident OR r.artists_key LIKE :key "
            f"OR r.catno_key LIKE :code OR r.library_key LIKE :code OR (w.id IS NOT NULL AND {work_match}) "
            f"UNION ALL SELECT NULL, w.id FROM works w "
            f"WHERE NOT EXISTS (SELECT 1 FROM recordings r WHERE r.work_id = w.id) AND {work_match} "
            f"LIMIT :limit", params).fetchall()
        works: dict[int, Work | None] = {}
        hits = []
        for rec_id, work_id in rows:
            if work_id is not None and work_id not in works:
                works[work_id] = self.get_work(work_id)
            hits.append(SearchHit(work=works.get(work_id) if work_id is not None else None,
                                  recording=self.get_recording(rec_id) if rec_id is not None else None))
        hits.sort(key=lambda h: (norm_text(h.title), h.recording.id if h.recording else 0))
        return hits

    def all_works(self) -> list[Work]:
        return [w for w in (self.get_work(r[0]) for r in self._conn.execute("SELECT id FROM works ORDER BY id"))
                if w]

    def all_recordings(self) -> list[Recording]:
        return [_recording(r) for r in self._conn.execute(f"SELECT {_REC_COLS} FROM recordings ORDER BY id")]

    def counts(self) -> dict[str, int]:
        return {table: int(self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for table in ("works", "recordings", "parties", "work_parties")}

    def integrity_check(self) -> str:
        """'ok' when SQLite finds the file sound and every foreign key resolves."""
        result = self._conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            return str(result)
        broken = self._conn.execute("PRAGMA foreign_key_check").fetchall()
        return "ok" if not broken else f"{len(broken)} broken references"


_REC_COLS = ("id, work_id, isrc, title, artists, album, label, release_date, library, catalogue_number, "
             "track_number, duration_s, source_file")


def _recording(row: tuple) -> Recording:
    (rid, work_id, isrc, title, artists, album, label, release_date, library, catno, track, duration,
     source) = row
    return Recording(id=rid, work_id=work_id, isrc=isrc, title=title, artists=list(json.loads(artists or "[]")),
                     album=album, label=label, release_date=release_date, library=library,
                     catalogue_number=catno, track_number=track, duration_s=duration, source_file=source)


def _share_text(share: Fraction) -> str:
    share = Fraction(share)
    return str(share.numerator) if share.denominator == 1 else f"{share.numerator}/{share.denominator}"
