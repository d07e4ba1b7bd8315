"""One chunk of an import, decided in memory and written in a few set-based statements.

A server import that asks a dozen questions per row pays a dozen round trips per row: 5,000
rows took 25-75 s. ``ChunkView`` answers every lookup the importer makes (``find_recording``,
``work_by_iswc``, ``works_by_title``, the party directory) for a whole chunk from a handful of
bulk reads, and takes ``save_work``/``save_recording`` exactly as ``Catalogue`` does (the same
checks, the same row versions, the same history lines, the same party directory rules), keeping
the results in memory. ``write`` then sends them: new rows with ids reserved from their
sequences, updates with their version check, history in order. The import decisions themselves
stay in ``importer.py`` and are the same code for both paths.

Row by row semantics are kept: a row refused in memory is undone whole (a journal of every
change), so the rows after it see the catalogue as if it never happened. If someone else saved
an entry after this chunk read it, its versioned UPDATE matches nothing and ``StaleEntries``
names it; the importer then rolls the chunk back, refuses the rows that changed it (who/when,
as ``ConflictError`` says) and runs the rest again on fresh reads.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from cuesheet_app.domain.identifiers import normalize_ipi, normalize_isrc, normalize_iswc
from cuesheet_app.domain.model import Party
from cuesheet_app.rights.audit import utc_now, work_changes
from cuesheet_app.rights.catalogue import (
    _REC_COLS,
    Catalogue,
    _conflict,
    _fraction,
    _recording,
    _same_recording,
    _same_work,
    _share_text,
)
from cuesheet_app.rights.checks import recording_problems, work_problems
from cuesheet_app.rights.errors import CatalogueError
from cuesheet_app.rights.normalize import norm_artists, norm_code, norm_party_name, norm_text
from cuesheet_app.rights.records import Recording, Work

_MISSING = object()


def supported(cat: Catalogue) -> bool:
    """Set-based writes pay off where a statement costs a round trip: on a server."""
    return all(hasattr(cat.backend, name) for name in ("reserve_ids", "executemany_returning", "copy_rows"))


@dataclass(frozen=True)
class _WorkRow:
    """A work as the database holds it (credits by directory id, alternative titles in order)."""

    id: int
    title: str
    title_key: str
    iswc: str
    notes: str
    version: int
    updated_by: str
    updated_at: str
    alts: tuple[tuple[int, str, str], ...] = ()  # (position, title, title_key)
    credits: tuple[tuple[int, str, str], ...] = ()  # (party id, role, share text), by position


@dataclass(frozen=True)
class _RecRow:
    rec: Recording  # never handed out: readers get a copy
    catno_key: str
    library_key: str
    title_key: str


@dataclass
class StaleEntry:
    kind: str  # "work" or "recording"
    id: int
    version: int  # the version this chunk read
    title: str
    rows: list[int] = field(default_factory=list)  # the chunk's rows that changed it


class StaleEntries(Exception):  # noqa: N818 - a signal to the importer, not an error for users
    """Someone else saved these entries after the chunk read them; nothing of the chunk was kept."""

    def __init__(self, entries: list[StaleEntry]) -> None:
        super().__init__(", ".join(f"{e.kind} {e.id}" for e in entries))
        self.entries = entries

    def refusals(self, cat: Catalogue) -> dict[int, str]:
        """Chunk row -> why it is refused: the stored entry's who and when, read again now."""
        out: dict[int, str] = {}
        for e in self.entries:
            if e.kind == "work":
                theirs: Any = cat.get_work(e.id)
                ours: Any = Work(id=e.id, title=e.title, version=e.version)
            else:
                theirs = cat.get_recording(e.id)
                ours = Recording(id=e.id, title=e.title, version=e.version)
            reason = (str(_conflict(e.kind, ours, theirs)) if theirs is not None
                      else f"{e.kind} {e.id} does not exist (deleted in another window?)")
            for row in e.rows:
                out.setdefault(row, reason)
        return out


class ChunkView:
    """The catalogue as one chunk of import rows reads and changes it (see the module docstring).

    ``keys`` are what the chunk's rows can look up: ISRCs, catalogue codes, recording title keys,
    ISWCs, work title keys, party IPIs and party name keys. Every lookup of such a key is
    answered as the database would answer it, including what earlier rows of the chunk did.
    """

    def __init__(self, cat: Catalogue, isrcs: set[str], codes: set[str], rec_titles: set[str],
                 iswcs: set[str], work_titles: set[str], ipis: set[str], party_names: set[str]) -> None:
        self.cat = cat
        self.db: Any = cat.backend
        self.user = cat.user
        self._journal: list[tuple[dict, Any, Any]] = []
        self._history: list[tuple[int, str, str, str, str, str]] = []
        self._party_cache: dict[tuple[str, ...], int] = {}
        self._ids: dict[str, list[int]] = {"works": [], "recordings": [], "parties": []}
        self._row = -1
        # The state, as dicts journaled by _set (values are immutable, so undo is exact).
        self.recs: dict[int, _RecRow] = {}
        self.rec_isrc: dict[str, int] = {}
        self.rec_code: dict[str, tuple[int, ...]] = {}
        self.rec_title: dict[str, tuple[int, ...]] = {}
        self.works: dict[int, _WorkRow] = {}
        self.work_iswc: dict[str, int] = {}
        self.work_title: dict[str, tuple[int, ...]] = {}
        self.work_alt: dict[str, tuple[int, ...]] = {}
        self.parties: dict[int, tuple[str, str, str, str, str, str]] = {}  # first, last, company, pro, ipi, key
        self.party_ipi: dict[str, tuple[int, ...]] = {}
        self.party_name: dict[str, tuple[int, ...]] = {}
        # What to write: entry id -> the version the database holds (0: a new row).
        self.base_works: dict[int, int] = {}
        self.base_recs: dict[int, int] = {}
        self.new_parties: dict[int, bool] = {}
        self.changed_parties: dict[int, bool] = {}
        self.party_read: dict[int, tuple[str, ...]] = {}  # directory entries as read (not journaled)
        self.touched_by: dict[tuple[str, int], tuple[int, ...]] = {}  # entry -> rows that saved it
        self._prefetch(isrcs, codes, rec_titles, iswcs, work_titles, ipis, party_names)

    # --- reading the chunk's part of the catalogue ----------------------------
    def _prefetch(self, isrcs: set[str], codes: set[str], rec_titles: set[str], iswcs: set[str],
                  work_titles: set[str], ipis: set[str], party_names: set[str]) -> None:
        for rec, catno_key, library_key, title_key in self.cat.recordings_matching(isrcs, codes, rec_titles):
            self._index_rec(_RecRow(rec, catno_key, library_key, title_key))
        work_ids = {r.rec.work_id for r in self.recs.values() if r.rec.work_id is not None}
        conds = [*self.cat._in("iswc", sorted(k for k in iswcs if k), "TEXT"),
                 *self.cat._in("title_key", sorted(work_titles), "TEXT")]
        for cond, params in conds:
            work_ids.update(r[0] for r in self.db.execute(f"SELECT id FROM works WHERE {cond}", params).fetchall())
        for cond, params in self.cat._in("title_key", sorted(work_titles), "TEXT"):
            work_ids.update(r[0] for r in self.db.execute(f"SELECT work_id FROM work_titles WHERE {cond}",
                                                          params).fetchall())
        self._load_works(sorted(work_ids))
        party_ids = {pid for w in self.works.values() for pid, _, _ in w.credits}
        self._load_parties(party_ids, ipis, party_names)
        if not party_ids <= self.parties.keys():  # merged away by someone between our reads
            raise StaleEntries([])  # nobody's row to refuse: the importer goes row by row

    def _load_works(self, ids: list[int]) -> None:
        rows: dict[int, list[Any]] = {}
        for cond, params in self.cat._in("id", ids, "BIGINT"):
            for r in self.db.execute("SELECT id, title, title_key, iswc, notes, version, updated_by, updated_at "
                                     f"FROM works WHERE {cond}", params).fetchall():
                rows[r[0]] = [*r, [], []]
        for cond, params in self.cat._in("work_id", ids, "BIGINT"):
            for work_id, position, title, title_key in self.db.execute(
                    f"SELECT work_id, position, title, title_key FROM work_titles WHERE {cond} "
                    "ORDER BY work_id, position, title_key", params).fetchall():
                if work_id in rows:  # (a work deleted between these reads is simply not there)
                    rows[work_id][8].append((position, title, title_key))
            for work_id, party_id, role, share in self.db.execute(
                    f"SELECT work_id, party_id, role, share FROM work_parties WHERE {cond} "
                    "ORDER BY work_id, position", params).fetchall():
                if work_id in rows:
                    rows[work_id][9].append((party_id, role, share))
        for r in rows.values():
            self._index_work(_WorkRow(*r[:8], alts=tuple(r[8]), credits=tuple(r[9])))

    def _load_parties(self, ids: set[int], ipis: set[str], names: set[str]) -> None:
        conds = [*self.cat._in("id", sorted(ids), "BIGINT"), *self.cat._in("ipi", sorted(k for k in ipis if k), "TEXT"),
                 *self.cat._in("name_key", sorted(names), "TEXT")]
        if self.cat.kind == "postgresql" and conds:
            conds = [(" OR ".join(c for c, _ in conds), [v for _, p in conds for v in p])]
        for cond, params in conds:
            for pid, *values in self.db.execute("SELECT id, first_name, last_name, company, pro, ipi, name_key "
                                                f"FROM parties WHERE {cond}", params).fetchall():
                if pid not in self.parties:
                    self.party_read[pid] = tuple(values)
                    self._index_party(pid, tuple(values))

    # --- the journal ------------------------------------------------------------
    def _set(self, table: dict, key: Any, value: Any) -> None:
        self._journal.append((table, key, table.get(key, _MISSING)))
        if value is _MISSING:
            table.pop(key, None)
        else:
            table[key] = value

    def _add(self, index: dict, key: str, entry_id: int) -> None:
        ids = index.get(key, ())
        if entry_id not in ids:
            self._set(index, key, tuple(sorted((*ids, entry_id))))

    def _drop(self, index: dict, key: str, entry_id: int) -> None:
        ids = index.get(key, ())
        if entry_id in ids:
            self._set(index, key, tuple(i for i in ids if i != entry_id) or _MISSING)

    @contextlib.contextmanager
    def row(self, index: int) -> Iterator[None]:
        """One import row: all of it or none of it (``Catalogue.savepoint`` in memory)."""
        mark, history_mark, self._row = len(self._journal), len(self._history), index
        try:
            yield
        except BaseException:
            while len(self._journal) > mark:
                table, key, old = self._journal.pop()
                if old is _MISSING:
                    table.pop(key, None)
                else:
                    table[key] = old
            del self._history[history_mark:]
            self._party_cache.clear()  # as Catalogue.savepoint does
            raise
        finally:
            self._row = -1

    def _new_id(self, table: str, hint: int) -> int:
        if not self._ids[table]:
            self._ids[table] = self.db.reserve_ids(table, max(hint, 1))
        return self._ids[table].pop(0)

    def reserve_hint(self, rows_left: int) -> None:
        """How many new works/recordings the rest of the chunk may add at most: ids are then
        reserved in one round trip per chunk, not one per row."""
        self._hint = rows_left

    _hint = 1

    # --- indexes ----------------------------------------------------------------
    def _index_rec(self, row: _RecRow, old: _RecRow | None = None) -> None:
        rid = row.rec.id
        if old is not None:
            if old.rec.isrc and self.rec_isrc.get(old.rec.isrc) == rid:
                self._set(self.rec_isrc, old.rec.isrc, _MISSING)
            self._drop(self.rec_code, old.catno_key, rid)
            self._drop(self.rec_title, old.title_key, rid)
        self._set(self.recs, rid, row)
        if row.rec.isrc:
            self._set(self.rec_isrc, row.rec.isrc, rid)
        if row.catno_key:
            self._add(self.rec_code, row.catno_key, rid)
        if row.title_key:
            self._add(self.rec_title, row.title_key, rid)

    def _index_work(self, row: _WorkRow, old: _WorkRow | None = None) -> None:
        if old is not None:
            if old.iswc and self.work_iswc.get(old.iswc) == old.id:
                self._set(self.work_iswc, old.iswc, _MISSING)
            self._drop(self.work_title, old.title_key, old.id)
            for _, _, key in old.alts:
                self._drop(self.work_alt, key, old.id)
        self._set(self.works, row.id, row)
        if row.iswc:
            self._set(self.work_iswc, row.iswc, row.id)
        self._add(self.work_title, row.title_key, row.id)
        for _, _, key in row.alts:
            self._add(self.work_alt, key, row.id)

    def _index_party(self, pid: int, values: tuple[str, ...], old: tuple[str, ...] | None = None) -> None:
        if old is not None and old[4]:
            self._drop(self.party_ipi, old[4], pid)
        self._set(self.parties, pid, values)
        if values[4]:
            self._add(self.party_ipi, values[4], pid)
        self._add(self.party_name, values[5], pid)

    def _touch(self, kind: str, entry_id: int) -> None:
        key = (kind, entry_id)
        rows = self.touched_by.get(key, ())
        if self._row not in rows:
            self._set(self.touched_by, key, (*rows, self._row))

    # --- what Catalogue answers ---------------------------------------------------
    def get_recording(self, recording_id: int) -> Recording | None:
        row = self.recs.get(recording_id)
        if row is None:
            return None
        rec = object.__new__(Recording)  # each reader its own, as each database read is (a plain
        rec.__dict__.update(row.rec.__dict__)  # dataclass: a shallow copy of its fields, quickly)
        rec.artists = list(rec.artists)
        return rec

    def recording_by_isrc(self, isrc: str) -> Recording | None:
        key = normalize_isrc(isrc)
        return self.get_recording(self.rec_isrc[key]) if key in self.rec_isrc else None

    def recordings_by_catalogue_number(self, library: str, catalogue_number: str) -> list[Recording]:
        code = norm_code(catalogue_number)
        if not code:
            return []
        lib = norm_code(library)
        found = [self.recs[i] for i in self.rec_code.get(code, ())]
        found = [r for r in found if not lib or not r.library_key or r.library_key == lib]
        found.sort(key=lambda r: (r.library_key != lib, r.rec.id))
        return [self.get_recording(r.rec.id) for r in found]  # type: ignore[misc]

    def recordings_by_title(self, title: str) -> list[Recording]:
        key = norm_text(title)
        return [self.get_recording(i) for i in self.rec_title.get(key, ())] if key else []  # type: ignore[misc]

    def get_work(self, work_id: int) -> Work | None:
        row = self.works.get(work_id)
        if row is None:
            return None
        parties = []
        for pid, role, share in row.credits:
            first, last, company, pro, ipi, _ = self.parties[pid]
            parties.append(Party(role=role, first_name=first, last_name=last, company=company, pro=pro, ipi=ipi,
                                 share=_fraction(share)))
        return Work(id=row.id, title=row.title, iswc=row.iswc, notes=row.notes, version=row.version,
                    updated_by=row.updated_by, updated_at=row.updated_at, alt_titles=[t for _, t, _ in row.alts],
                    parties=parties)

    def work_by_iswc(self, iswc: str) -> Work | None:
        key = normalize_iswc(iswc)
        return self.get_work(self.work_iswc[key]) if key and key in self.work_iswc else None

    def works_by_title(self, title: str) -> list[Work]:
        key = norm_text(title)
        ids = sorted({*self.work_title.get(key, ()), *self.work_alt.get(key, ())})
        return [w for w in (self.get_work(i) for i in ids) if w]

    # --- what Catalogue.save_work / save_recording do -----------------------------
    def save_work(self, work: Work) -> int:
        problems = work_problems(work)
        if problems:
            raise CatalogueError(f"work {work.title or work.id!r}: " + "; ".join(problems))
        iswc = normalize_iswc(work.iswc)
        now = utc_now()
        if iswc:
            other = self.work_iswc.get(iswc)
            if other is not None and other != work.id:
                raise CatalogueError(f"work {work.title!r}: ISWC {iswc} is already used by work {other} "
                                     f"({self.works[other].title!r})")
        old: Work | None = None
        old_row: _WorkRow | None = None
        if work.id:
            old, old_row = self.get_work(work.id), self.works.get(work.id)
            if old is None or old_row is None:
                raise CatalogueError(f"work {work.id} does not exist (deleted in another window?)")
            if work.version and old.version != work.version:
                raise _conflict("work", work, old)
            if _same_work(old, work, iswc):
                work.iswc, work.version, work.updated_by, work.updated_at = (
                    iswc, old.version, old.updated_by, old.updated_at)
                return work.id
            work_id, version = work.id, old.version + 1
            if work_id not in self.base_works:
                self._set(self.base_works, work_id, old.version)
        else:
            work_id, version = self._new_id("works", self._hint), 1
            self._set(self.base_works, work_id, 0)
        alts: dict[str, tuple[int, str, str]] = {}
        for position, alt in enumerate(work.alt_titles):
            key = norm_text(alt)
            if alt.strip() and key != norm_text(work.title) and key not in alts:  # ON CONFLICT DO NOTHING
                alts[key] = (position, alt.strip(), key)
        credits = tuple((self._party_id(p), p.role, _share_text(p.share)) for p in work.parties)
        row = _WorkRow(work_id, work.title.strip(), norm_text(work.title), iswc, work.notes, version, self.user, now,
                       tuple(sorted(alts.values(), key=lambda a: (a[0], a[2]))), credits)
        self._index_work(row, old_row)
        self._history += [(work_id, now, self.user, f, o, n) for f, o, n in work_changes(old, work, iswc)]
        self._touch("work", work_id)
        work.id, work.iswc, work.version, work.updated_by, work.updated_at = work_id, iswc, version, self.user, now
        return work_id

    def save_recording(self, rec: Recording) -> int:
        problems = recording_problems(rec)
        if problems:
            raise CatalogueError(f"recording {rec.title or rec.isrc!r}: " + "; ".join(problems))
        isrc = normalize_isrc(rec.isrc)
        now = utc_now()
        if isrc:
            other = self.rec_isrc.get(isrc)
            if other is not None and other != rec.id:
                raise CatalogueError(f"recording {rec.title!r}: ISRC {isrc} is already used by recording {other} "
                                     f"({self.recs[other].rec.title!r})")
        old: Recording | None = None
        if rec.id:
            old = self.get_recording(rec.id)
            if old is None:
                raise CatalogueError(f"recording {rec.id} does not exist (deleted in another window?)")
            if rec.version and old.version != rec.version:
                raise _conflict("recording", rec, old)
            if _same_recording(old, rec, isrc):
                rec.isrc, rec.version, rec.updated_by, rec.updated_at = (
                    isrc, old.version, old.updated_by, old.updated_at)
                return rec.id
            rec_id, version = rec.id, old.version + 1
            if rec_id not in self.base_recs:
                self._set(self.base_recs, rec_id, old.version)
        else:
            rec_id, version = self._new_id("recordings", self._hint), 1
            self._set(self.base_recs, rec_id, 0)
        stored = replace(rec, id=rec_id, isrc=isrc, title=rec.title.strip(), artists=list(rec.artists),
                         version=version, updated_by=self.user, updated_at=now)
        self._index_rec(_RecRow(stored, norm_code(rec.catalogue_number), norm_code(rec.library),
                                norm_text(rec.title)), self.recs.get(rec_id))
        old_isrc = old.isrc if old else ""
        if old_isrc != isrc and (rec.work_id or (old and old.work_id)):
            self._history.append((int(rec.work_id or (old.work_id if old else 0) or 0), now, self.user, "isrc",
                                  old_isrc, isrc))
        self._touch("recording", rec_id)
        rec.id, rec.isrc, rec.version, rec.updated_by, rec.updated_at = rec_id, isrc, version, self.user, now
        return rec_id

    def _party_id(self, p: Party) -> int:
        """``Catalogue._party_id`` + ``party_id_for``, on the chunk's directory."""
        ipi = normalize_ipi(p.ipi)
        pro = p.pro.strip().upper()
        cache_key = (p.first_name.strip(), p.last_name.strip(), p.company.strip(), pro, ipi)
        if cache_key in self._party_cache:
            return self._party_cache[cache_key]
        key = norm_party_name(p.first_name, p.last_name, p.company)
        if not key:
            raise ValueError("a party needs a name or a company")
        pid: int | None = None
        if ipi and self.party_ipi.get(ipi):
            pid = self.party_ipi[ipi][0]
        if pid is None:
            candidates = sorted(
                (i for i in self.party_name.get(key, ())
                 if (not self.parties[i][4] or not ipi or self.parties[i][4] == ipi)
                 and (not self.parties[i][3] or not pro or self.parties[i][3] == pro)),
                key=lambda i: (self.parties[i][4], self.parties[i][3], -i), reverse=True)  # ipi, pro DESC; id
            pid = candidates[0] if candidates else None
        if pid is None:
            pid = self._new_id("parties", max(16, self._hint))
            self._set(self.new_parties, pid, True)
            self._index_party(pid, (p.first_name.strip(), p.last_name.strip(), p.company.strip(), pro, ipi, key))
        else:
            first, last, company, old_pro, old_ipi, name_key = self.parties[pid]
            new = (first, last, company, pro or old_pro, old_ipi or ipi, name_key)
            if new != self.parties[pid]:
                self._set(self.changed_parties, pid, True)
                self._index_party(pid, new, self.parties[pid])
        self._party_cache[cache_key] = pid
        return pid

    # --- writing ------------------------------------------------------------------
    def write(self) -> None:
        """Send everything the chunk changed, inside the caller's transaction; ``StaleEntries``
        when someone else saved an entry after we read it (the caller rolls back)."""
        cat, db = self.cat, self.db
        new = [pid for pid in self.new_parties if pid in self.parties]
        _insert(cat, "parties (id, first_name, last_name, company, pro, ipi, name_key)",
                [(pid, *self.parties[pid]) for pid in new])
        # A directory entry is completed only as this chunk read it: someone else's edit or merge
        # since (an IPI set, a society corrected) must not be overwritten with what we read, so a
        # miss sends the chunk row by row, which completes the entry as it is now.
        changed = [(self.parties[pid][3], self.parties[pid][4], pid, *self.party_read[pid])
                   for pid in self.changed_parties if pid not in self.new_parties]
        if changed:
            written = {r[0] for r in db.executemany_returning(
                "UPDATE parties SET pro = ?, ipi = ? WHERE id = ? AND first_name = ? AND last_name = ? "
                "AND company = ? AND pro = ? AND ipi = ? AND name_key = ? RETURNING id", changed)}
            if len(written) < len(changed):
                raise StaleEntries([])  # nobody's row to refuse: the importer goes row by row
        fresh = [w for w, base in self.base_works.items() if base == 0]
        saved = [w for w, base in self.base_works.items() if base > 0]
        _insert(cat, "works (id, title, title_key, iswc, notes, version, updated_by, updated_at)",
                [_work_values(self.works[w]) for w in fresh])
        self._versioned("work", "UPDATE works SET title = ?, title_key = ?, iswc = ?, notes = ?, version = ?, "
                        "updated_by = ?, updated_at = ? WHERE id = ? AND version = ? RETURNING id",
                        [(*_work_values(self.works[w])[1:], w, self.base_works[w]) for w in saved])
        for cond, params in cat._in("work_id", saved, "BIGINT"):
            db.execute(f"DELETE FROM work_titles WHERE {cond}", params)
            db.execute(f"DELETE FROM work_parties WHERE {cond}", params)
        _insert(cat, "work_titles (work_id, title, title_key, position)",
                [(w, title, key, position) for w in (*fresh, *saved) for position, title, key in self.works[w].alts])
        _insert(cat, "work_parties (work_id, position, party_id, role, share)",
                [(w, position, pid, role, share) for w in (*fresh, *saved)
                 for position, (pid, role, share) in enumerate(self.works[w].credits)])
        fresh = [r for r, base in self.base_recs.items() if base == 0]
        saved = [r for r, base in self.base_recs.items() if base > 0]
        _insert(cat, f"recordings ({_REC_COLS}, {_REC_KEY_COLS})",
                [(*_rec_values(self.recs[r]), *_rec_keys(self.recs[r])) for r in fresh])
        sets = ", ".join(f"{c.strip()} = ?" for c in f"{_REC_COLS}, {_REC_KEY_COLS}".split(",")[1:])
        self._versioned("recording", f"UPDATE recordings SET {sets} WHERE id = ? AND version = ? RETURNING id",
                        [(*_rec_values(self.recs[r])[1:], *_rec_keys(self.recs[r]), r, self.base_recs[r])
                         for r in saved])
        _insert(cat, "work_history (work_id, at, who, field, old, new)", self._history)
        for w in self.base_works:
            cat._changed_entry("works", w)
        for r in self.base_recs:
            cat._changed_entry("recordings", r)

    def _versioned(self, kind: str, sql: str, rows: list[tuple]) -> None:
        """Updates that only apply over the version this chunk read (id and base are the last two)."""
        if not rows:
            return
        written = {r[0] for r in self.db.executemany_returning(sql, rows)}
        stale = [row for row in rows if row[-2] not in written]
        if stale:
            entries = []
            for row in stale:
                entry_id, base = row[-2], row[-1]
                title = self.works[entry_id].title if kind == "work" else self.recs[entry_id].rec.title
                entries.append(StaleEntry(kind, entry_id, base, title,
                                          list(self.touched_by.get((kind, entry_id), ()))))
            raise StaleEntries(entries)


_REC_KEY_COLS = "title_key, artists_key, library_key, catno_key"


def _work_values(w: _WorkRow) -> tuple:
    return (w.id, w.title, w.title_key, w.iswc, w.notes, w.version, w.updated_by, w.updated_at)


def _rec_values(row: _RecRow) -> tuple:
    """The row in ``_REC_COLS`` order (the order ``_recording`` reads it back in)."""
    r = row.rec
    return (r.id, r.work_id, r.isrc, r.title, json.dumps(r.artists), r.album, r.label, r.release_date, r.library,
            r.catalogue_number, r.track_number, r.duration_s, r.source_file, r.version, r.updated_by, r.updated_at)


def _rec_keys(row: _RecRow) -> tuple:
    return (row.title_key, json.dumps(norm_artists(row.rec.artists)), row.library_key, row.catno_key)


def _insert(cat: Catalogue, target: str, rows: list[tuple]) -> None:
    """New rows of ``target`` ("table (col, ...)"), in order, through the backend's COPY."""
    if rows:
        table, _, cols = target.partition(" ")
        cat.backend.copy_rows(table, [c.strip() for c in cols.strip("()").split(",")], rows)  # type: ignore[attr-defined]


assert _recording  # read back by Catalogue; kept imported so both stay in step (_REC_COLS order)
