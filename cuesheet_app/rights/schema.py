"""The catalogue's SQLite schema: a version in ``PRAGMA user_version`` and migrations in order.

A new file runs every migration from 0, so the upgrade path from each older version is
exercised on every fresh catalogue, not only on the rare old file. A file from a newer
version of the app is refused rather than guessed at.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from cuesheet_app.domain.parties import PartyNotationError, parse_parties
from cuesheet_app.rights.normalize import norm_artists, norm_code, norm_text
from cuesheet_app.rights.party_rows import party_id_for


class SchemaError(RuntimeError):
    """The catalogue file cannot be used by this version; the message names the file."""


# Version 1 (the first release): credits kept as the sheets' text notation.
V1_DDL = """
CREATE TABLE works (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    iswc TEXT NOT NULL DEFAULT '',
    composers TEXT NOT NULL DEFAULT '',
    publishers TEXT NOT NULL DEFAULT ''
);
CREATE TABLE recordings (
    id INTEGER PRIMARY KEY,
    work_id INTEGER REFERENCES works(id),
    isrc TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    artists TEXT NOT NULL DEFAULT '',
    album TEXT NOT NULL DEFAULT '',
    label TEXT NOT NULL DEFAULT '',
    library TEXT NOT NULL DEFAULT '',
    catalogue_number TEXT NOT NULL DEFAULT '',
    track_number TEXT NOT NULL DEFAULT ''
);
"""

# Version 2: a party directory, credits with role and exact share, alternative titles,
# normalised keys for lookup, and uniqueness of ISRC/ISWC.
V2_DDL = """
CREATE TABLE parties (
    id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    pro TEXT NOT NULL DEFAULT '',
    ipi TEXT NOT NULL DEFAULT '',
    name_key TEXT NOT NULL
);
CREATE INDEX parties_name ON parties(name_key);
CREATE INDEX parties_ipi ON parties(ipi) WHERE ipi != '';

CREATE TABLE works_v2 (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    iswc TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE work_titles (
    work_id INTEGER NOT NULL REFERENCES works_v2(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    PRIMARY KEY (work_id, title_key)
);
CREATE TABLE work_parties (
    work_id INTEGER NOT NULL REFERENCES works_v2(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    party_id INTEGER NOT NULL REFERENCES parties(id),
    role TEXT NOT NULL,
    share TEXT NOT NULL DEFAULT '0',
    PRIMARY KEY (work_id, position)
);
CREATE TABLE recordings_v2 (
    id INTEGER PRIMARY KEY,
    work_id INTEGER REFERENCES works_v2(id) ON DELETE SET NULL,
    isrc TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    title_key TEXT NOT NULL DEFAULT '',
    artists TEXT NOT NULL DEFAULT '[]',
    artists_key TEXT NOT NULL DEFAULT '[]',
    album TEXT NOT NULL DEFAULT '',
    label TEXT NOT NULL DEFAULT '',
    release_date TEXT NOT NULL DEFAULT '',
    library TEXT NOT NULL DEFAULT '',
    library_key TEXT NOT NULL DEFAULT '',
    catalogue_number TEXT NOT NULL DEFAULT '',
    catno_key TEXT NOT NULL DEFAULT '',
    track_number TEXT NOT NULL DEFAULT '',
    duration_s TEXT NOT NULL DEFAULT '',
    source_file TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
);
"""

V2_INDEXES = """
CREATE UNIQUE INDEX works_iswc ON works(iswc) WHERE iswc != '';
CREATE INDEX works_title ON works(title_key);
CREATE INDEX work_titles_key ON work_titles(title_key);
CREATE INDEX work_parties_party ON work_parties(party_id);
CREATE UNIQUE INDEX recordings_isrc ON recordings(isrc) WHERE isrc != '';
CREATE INDEX recordings_title ON recordings(title_key);
CREATE INDEX recordings_catno ON recordings(library_key, catno_key);
CREATE INDEX recordings_work ON recordings(work_id);
"""


def _migrate_0_to_1(conn: sqlite3.Connection) -> None:
    _run_script(conn, V1_DDL)


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Split text credits into directory parties, normalise keys, make ISRC/ISWC unique.

    v1 allowed duplicate ISRCs/ISWCs; the first row wins and later duplicates are linked to it
    (a recording) or merged into it (a work's recordings), so nothing is lost.
    """
    _run_script(conn, V2_DDL)
    work_map: dict[int, int] = {}
    iswc_owner: dict[str, int] = {}
    for wid, title, iswc, composers, publishers in conn.execute(
        "SELECT id, title, iswc, composers, publishers FROM works ORDER BY id"
    ).fetchall():
        iswc = (iswc or "").strip()
        if iswc and iswc in iswc_owner:
            work_map[wid] = iswc_owner[iswc]
            continue
        conn.execute("INSERT INTO works_v2 (id, title, title_key, iswc) VALUES (?,?,?,?)",
                     (wid, title, norm_text(title), iswc))
        work_map[wid] = wid
        if iswc:
            iswc_owner[iswc] = wid
        position = 0
        for text, role in ((composers, "C"), (publishers, "E")):
            try:
                parties = parse_parties(text or "", role)
            except PartyNotationError:
                # Keep the unreadable text where a person will see it, rather than drop it.
                conn.execute("UPDATE works_v2 SET notes = notes || ? WHERE id = ?",
                             (f"[v1 {role}] {text}\n", wid))
                continue
            for p in parties:
                pid = party_id_for(conn, p)
                conn.execute("INSERT INTO work_parties VALUES (?,?,?,?,?)",
                             (wid, position, pid, p.role, _share_text(p.share)))
                position += 1
    seen_isrc: set[str] = set()
    for row in conn.execute(
        "SELECT id, work_id, isrc, title, artists, album, label, library, catalogue_number, track_number "
        "FROM recordings ORDER BY id"
    ).fetchall():
        rid, work_id, isrc, title, artists, album, label, library, catno, track = row
        isrc = (isrc or "").strip()
        if isrc in seen_isrc:
            isrc = ""  # duplicate recording row: kept, but the ISRC stays with the first one
        if isrc:
            seen_isrc.add(isrc)
        names = [a.strip() for a in (artists or "").split(";") if a.strip()]
        conn.execute(
            "INSERT INTO recordings_v2 (id, work_id, isrc, title, title_key, artists, artists_key, album, "
            "label, library, library_key, catalogue_number, catno_key, track_number) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (rid, work_map.get(work_id) if work_id is not None else None, isrc, title or "",
             norm_text(title), json.dumps(names), json.dumps(norm_artists(names)), album or "",
             label or "", library or "", norm_code(library), catno or "", norm_code(catno), track or ""),
        )
    _run_script(conn, """
        DROP TABLE recordings;
        DROP TABLE works;
        ALTER TABLE works_v2 RENAME TO works;
        ALTER TABLE recordings_v2 RENAME TO recordings;
    """)
    _run_script(conn, V2_INDEXES)


def _share_text(share: object) -> str:
    from fractions import Fraction

    f = Fraction(share)  # type: ignore[arg-type]
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Statement by statement: ``executescript`` would commit the open transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_0_to_1, _migrate_1_to_2]
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_version(conn: sqlite3.Connection, where: str) -> int:
    """Refuse a file from a newer app before anything (even the journal mode) touches it."""
    version = user_version(conn)
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"{where}: catalogue schema version {version} is newer than this app supports "
            f"({SCHEMA_VERSION}); update the app"
        )
    return version


def migrate(conn: sqlite3.Connection, where: str) -> int:
    """Bring the open catalogue to ``SCHEMA_VERSION`` in one transaction; returns the old version.

    The version is read again under the write lock, so two processes opening a new file at the
    same moment migrate it once.
    """
    if user_version(conn) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        old = check_version(conn, where)
        for version in range(old, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return old
