"""The catalogue file: concurrent writers, schema migration from v1, refusing newer/corrupt files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cuesheet_app.rights.catalogue import Catalogue, CatalogueError
from cuesheet_app.rights.schema import SCHEMA_VERSION, V1_DDL, SchemaError, ddl_for

ROOT = Path(__file__).resolve().parents[1]

WRITER = r"""
import sys
from fractions import Fraction
from cuesheet_app.domain.model import Party
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.records import Recording, Work
import time
path, tag, n, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
time.sleep(max(0.0, start_at - time.time()))  # both writers start together
cat = Catalogue(path)
shared = Party(role="E", company="Shared Publishing", pro="ASCAP", share=Fraction(100))
for i in range(n):
    with cat.transaction():
        w = Work(title=f"{tag} work {i}", parties=[
            Party(role="C", first_name=tag, last_name=f"Writer{i % 5}", share=Fraction(100)), shared])
        cat.save_work(w)
        cat.save_recording(Recording(work_id=w.id, title=w.title, isrc=f"{tag}AAA{i:07d}"))
cat.close()
print("done")
"""


def test_two_processes_writing_at_once_keep_the_file_sound(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    n = 150
    start_at = time.time() + 1.5  # after both interpreters are up, so the writes overlap
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(n), str(start_at)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("AA", "BB")]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        assert out.strip() == "done"
    with Catalogue(path) as cat:
        assert cat.integrity_check() == "ok"
        counts = cat.counts()
        assert counts["works"] == 2 * n and counts["recordings"] == 2 * n
        assert counts["work_parties"] == 4 * n
        # The shared publisher is one directory entry, whoever created it first; 5 writers each.
        assert counts["parties"] == 1 + 2 * 5
        assert len(cat.search("shared publishing")) == 2 * n
        for tag in ("AA", "BB"):
            rec = cat.recording_by_isrc(f"{tag}AAA{n - 1:07d}")
            assert rec is not None and rec.title == f"{tag} work {n - 1}"


def _v1_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(ddl_for("sqlite", V1_DDL))
    conn.executemany("INSERT INTO works VALUES (?,?,?,?,?)", [
        (1, "Schön Rosmarin", "T0345246801", "Fritz Kreisler [GEMA] [00012345678] 100%", "Schott Music [GEMA] 100%"),
        (2, "Duplicate ISWC", "T0345246801", "Someone 100%", ""),
        (3, "Unreadable", "", "Jane Doe [??] 100%", "Acme Music 100%"),
    ])
    conn.executemany("INSERT INTO recordings VALUES (?,?,?,?,?,?,?,?,?,?)", [
        (1, 1, "DEF059503430", "Schön Rosmarin", "Gil Shaham; Orpheus Chamber Orchestra", "Violin Romances",
         "DG", "", "", ""),
        (2, 2, "DEF059503430", "Schön Rosmarin (live)", "Gil Shaham", "", "", "", "", ""),
        (3, 3, "", "Unreadable", "", "", "", "KPM", "KPM 1043", "4"),
    ])
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_migration_from_v1_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _v1_file(path)
    with Catalogue(path) as cat:
        version = cat.backend.schema_version()
        assert version == SCHEMA_VERSION
        assert cat.integrity_check() == "ok"
        rec = cat.recording_by_isrc("DE-F05-95-03430")
        assert rec is not None and rec.artists == ["Gil Shaham", "Orpheus Chamber Orchestra"]
        work = cat.get_work(rec.work_id or 0)
        assert work is not None and work.iswc == "T0345246801"
        assert [(p.role, p.display_name, p.pro, p.ipi, p.share) for p in work.parties] == [
            ("C", "Fritz Kreisler", "GEMA", "00012345678", 100), ("E", "Schott Music", "GEMA", 100)[:2] +
            ("GEMA", "", 100)]
        # The duplicate-ISWC work merges into the first; its recording keeps its row, linked there.
        live = [r for r in cat.recordings_of_work(work.id) if r.title.endswith("(live)")]
        assert len(live) == 1 and live[0].isrc == ""
        # Text that cannot be parsed is kept in the notes, not dropped.
        unreadable = cat.works_by_title("unreadable")[0]
        assert "Jane Doe [??] 100%" in unreadable.notes
        assert [r.title for r in cat.recordings_by_catalogue_number("kpm", "kpm-1043")] == ["Unreadable"]


def test_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE x (y)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaError, match=rf"{path.name}: catalogue schema version {SCHEMA_VERSION + 1} is newer"):
        Catalogue(path)
    assert path.read_bytes() == before


def test_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"x" * 4096)
    with pytest.raises(CatalogueError, match=r"Cannot open catalogue .*junk.sqlite"):
        Catalogue(path)


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    from cuesheet_app.rights.records import Work

    with Catalogue(tmp_path / "c.sqlite") as cat:
        with pytest.raises(CatalogueError), cat.transaction():
            cat.save_work(Work(title="kept?"))
            cat.save_work(Work(title="bad", iswc="T-000.000.000-1"))
        assert cat.counts()["works"] == 0
