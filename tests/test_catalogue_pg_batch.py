"""The team catalogue's fast paths behave exactly like the row-by-row ones they replace.

A server import decides each chunk in memory and writes it set-based (rights/import_batch.py);
auto-fill reads a season in one statement; search returns whole hits. These tests hold the fast
paths to the slow ones' answers on a real PostgreSQL server: same report row by row, same
catalogue afterwards (row versions, directory, history), conflicts refused with who and when.
"""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import pytest

from cuesheet_app.domain.model import Cue, Party
from cuesheet_app.rights import import_batch, importer
from cuesheet_app.rights.autofill import fill_cue, fill_cues
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.importer import import_file
from cuesheet_app.rights.lookup import find_recording
from cuesheet_app.rights.records import Recording, Work
from tests.catalogue_helpers import BAD_ROWS, GOOD_ROWS, write_sheet

# Rows that exercise what a chunk decides in memory: two rows of one work (same ISWC: the second
# adds an alternative title), work-only rows (one names an existing work by title), a writer
# whose IPI arrives on a later row (the directory entry is completed), one name under two
# societies (two people), a row whose ISRC an earlier row took, a duration that is not a time,
# and an album code shared by tracks.
MORE_ROWS = [
    ["KPM", "KPM 1050", "Night Drive", "01", "The Band", "Ann Lee [PRS] 100%", "Tide Songs [PRS] 100%",
     "GB-AAA-24-00101", "T-101.234.567-2", "3:00"],
    ["KPM", "KPM 1050", "Night Drive (Alt Mix)", "02", "The Band", "Ann Lee [PRS] [00098765432] 100%",
     "Tide Songs [PRS] 100%", "GB-AAA-24-00102", "T-101.234.567-2", "3:05"],
    ["", "", "Liebesleid", "", "", "Fritz Kreisler [GEMA] 100%", "", "", "", ""],
    ["", "", "Morning Run", "", "", "", "", "", "", ""],
    ["KPM", "KPM 1051", "Same Name", "01", "", "Ann Lee [BMI] 100%", "", "", "", "1:00"],
    ["KPM", "KPM 1043", "Evening Walk", "02", "", "Jane Doe [ASCAP] 100%", "Acme Music 100%",
     "GB-AAA-24-00101", "", "1:10"],
    ["KPM", "KPM 1050", "Coda", "03", "The Band; Guest", "Ann Lee 50%; Jane Doe 50%", "", "", "", "bad time"],
]
CHANGED_ROWS = [
    ["KPM", "KPM 1043", "Morning Run", "01", "", "Jane Doe [ASCAP] [00012345678] 50%; Max Mustermann [GEMA] 50%",
     "Acme Music [ASCAP] 100%", "US-RC1-76-07839", "T-034.524.680-1", "2:40"],
    ["KPM", "KPM 1043", "Evening Walk", "02", "Solo", "Jane Doe [ASCAP] 100%", "Acme Music 100%",
     "GB-AAA-24-00001", "", "1:10"],
    ["KPM", "KPM 1050", "Night Drive", "01", "The Band", "Ann Lee [PRS] 60%; Jane Doe 40%",
     "Tide Songs [PRS] 100%", "", "T-101.234.567-2", "3:00"],
    ["", "", "Liebesleid", "", "", "Fritz Kreisler [GEMA] [00012345670] 100%", "", "", "", ""],
]


def _report(report: importer.ImportReport) -> list[tuple]:
    return [(o.where, o.action, o.title, o.changes, o.reason, o.problems, o.notes) for o in report.outcomes]


def _state(cat: Catalogue) -> dict[str, object]:
    """Everything a person could see, without row ids (a server import may leave gaps in them)."""
    works = {w.id: w for w in cat.all_works()}
    title = {wid: w.title for wid, w in works.items()}
    return {
        "works": sorted((w.title, w.iswc, tuple(w.alt_titles), w.version, w.updated_by, w.notes,
                         tuple((p.role, p.display_name, p.pro, p.ipi, p.share) for p in w.parties))
                        for w in works.values()),
        "recordings": sorted((r.title, r.isrc, tuple(r.artists), r.library, r.catalogue_number, r.track_number,
                              r.duration_s, r.version, r.updated_by, title.get(r.work_id or 0, ""))
                             for r in cat.all_recordings()),
        "directory": sorted((p.first_name, p.last_name, p.company, p.pro, p.ipi, p.uses) for p in cat.parties()),
        "history": sorted((title.get(wid, ""), [(h.who, h.field, h.old, h.new) for h in cat.history(wid)])
                          for wid in works),
        "counts": cat.counts(),
    }


def _run_sheets(cat: Catalogue, tmp_path: Path, tag: str) -> list[list[tuple]]:
    out = []
    for n, rows in enumerate((GOOD_ROWS + BAD_ROWS + MORE_ROWS, CHANGED_ROWS, GOOD_ROWS + MORE_ROWS)):
        sheet = write_sheet(tmp_path / f"sheet{n}.csv", rows)
        preview = import_file(cat, sheet, dry_run=True)
        report = import_file(cat, sheet)
        assert _report(preview) == _report(report), (tag, n)
        out.append(_report(report))
    return out


@pytest.mark.parametrize("batch_rows", [500, 3])
def test_batched_import_equals_row_by_row(
        pg_server, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: int) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", batch_rows)
    slow_url = pg_server.create_database(f"rowwise_{batch_rows}")
    calls = []
    real_chunk = importer._import_chunk
    monkeypatch.setattr(importer, "_import_chunk", lambda *a: calls.append(1) or real_chunk(*a))
    with Catalogue(pg_url, user="alice") as fast:
        fast_reports = _run_sheets(fast, tmp_path, "batched")
        fast_state = _state(fast)
    assert calls, "the server import did not take the batched path"
    monkeypatch.setattr(import_batch, "supported", lambda cat: False)
    calls.clear()
    with Catalogue(slow_url, user="alice") as slow:
        slow_reports = _run_sheets(slow, tmp_path, "row by row")
        slow_state = _state(slow)
    assert not calls
    assert fast_reports == slow_reports
    assert fast_state == slow_state
    # The scenarios happened: a refused row, fields left out, a completed directory entry, history.
    first = fast_reports[0]
    assert any(action == "skip" and "duplicate ISRC" in reason for _, action, _, _, reason, _, _ in first)
    assert sum(1 for *_, problems, _ in first if problems) == 4
    assert [action for _, action, *_ in fast_reports[1]] == ["update", "update", "update", "update"]
    assert ("Ann", "Lee", "", "PRS", "00098765432", 2) in fast_state["directory"]  # IPI completed
    assert ("Ann", "Lee", "", "BMI", "", 1) in fast_state["directory"]  # another Ann Lee
    assert "alternative title: + Night Drive (Alt Mix)" in first[7][3]  # row 9 joined row 8's work
    assert any(field == "isrc" for _, entries in fast_state["history"] for _, field, _, _ in entries)


def test_a_row_refused_in_memory_is_undone_whole(pg_url: str) -> None:
    """A row that fails after saving its work leaves nothing: later rows see the catalogue
    without it and nothing of it is written (``Catalogue.savepoint``, in memory)."""
    from cuesheet_app.rights.errors import CatalogueError

    with Catalogue(pg_url, user="alice") as cat:
        cat.save_work(Work(title="Old Song", parties=[Party(role="C", first_name="Ann", last_name="Lee")]))
        with cat.transaction():
            view = import_batch.ChunkView(cat, set(), set(), {"new song"}, set(), {"new song", "old song"},
                                          set(), {"ann lee", "bo diddley"})
            with pytest.raises(CatalogueError), view.row(0):
                work = Work(title="New Song", parties=[Party(role="C", first_name="Bo", last_name="Diddley")])
                view.save_work(work)
                old = view.works_by_title("Old Song")[0]
                old.alt_titles.append("Vieux")
                view.save_work(old)
                assert view.works_by_title("New Song") and view.works_by_title("Vieux")
                raise CatalogueError("the row's recording is refused")
            assert view.works_by_title("New Song") == [] and view.works_by_title("Vieux") == []
            assert view.works_by_title("Old Song")[0].version == 1
            with view.row(1):
                view.save_recording(Recording(title="New Song", isrc="GB-AAA-24-00777"))
            view.write()
        assert [w.title for w in cat.all_works()] == ["Old Song"]
        assert [p.display_name for p in cat.parties()] == ["Ann Lee"]
        assert [(r.title, r.isrc, r.version) for r in cat.all_recordings()] == [("New Song", "GBAAA2400777", 1)]


def test_a_batched_import_with_bad_fields_reports_each_and_audits_every_work(pg_url: str, tmp_path: Path) -> None:
    with Catalogue(pg_url, user="alice") as cat:
        report = import_file(cat, write_sheet(tmp_path / "mixed.csv", GOOD_ROWS + BAD_ROWS))
        assert {o.where: o.reason for o in report.skipped} == {
            "mixed.csv row 7": "duplicate ISRC USRC17607839: already in mixed.csv row 2"}
        assert [line for o in report.with_problems for line in o.problem_lines()] == [
            "mixed.csv row 4, column composers: writer shares add up to 120%, not 100%; "
            "the writer shares are left empty",
            "mixed.csv row 5, column iswc: 'T-034.524.680-2' is not a valid ISWC (T-DDD.DDD.DDD-C); "
            "the value is left out",
            "mixed.csv row 6, column composers: 'Jane Doe [123] 100%': cannot tell what [123] is (PRO or IPI); "
            "this entry is left out"]
        works = cat.all_works()
        assert len(works) == 5
        for work in works:
            history = cat.history(work.id)
            assert history[0].who == "alice" and history[0].field == "created" and len(history[0].at) == 19
            assert ("parties" in [h.field for h in history]) == bool(work.parties)
        assert all(r.version == 1 and r.updated_by == "alice" for r in cat.all_recordings())


def test_a_batched_import_over_a_concurrent_change_refuses_that_row_with_who_and_when(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Catalogue(pg_url, user="alice") as alice, Catalogue(pg_url, user="bob") as bob:
        import_file(alice, write_sheet(tmp_path / "first.csv", GOOD_ROWS))
        morning = alice.recording_by_isrc("USRC17607839")
        real_write = import_batch.ChunkView.write
        interfered = []

        def bob_saves_first(view: import_batch.ChunkView) -> None:
            if not interfered:  # between the chunk's reads and its writes, once
                work = bob.get_work(morning.work_id)
                work.parties.append(Party(role="E", company="Bob Songs", share=Fraction(0)))
                bob.save_work(work)
                interfered.append(work.version)
            real_write(view)

        monkeypatch.setattr(import_batch.ChunkView, "write", bob_saves_first)
        changed = [list(GOOD_ROWS[0]), ["KPM", "KPM 1044", "Brand New", "01", "", "Ann Lee 100%", "", "", "", ""]]
        changed[0][5] = "Jane Doe [ASCAP] 50%; Max Mustermann [GEMA] 50%"
        report = import_file(alice, write_sheet(tmp_path / "second.csv", changed))
        assert interfered == [2]
        refused, added = report.outcomes
        assert refused.action == "skip" and "bob" in refused.reason and "UTC" in refused.reason
        assert "version 2" in refused.reason and "nothing was saved" in refused.reason
        assert added.action == "add" and alice.search("Brand New")
        stored = alice.get_work(morning.work_id)
        assert stored.version == 2 and stored.updated_by == "bob"
        assert "Bob Songs" in [p.display_name for p in stored.parties]
        assert "Max Mustermann" not in [p.display_name for p in stored.parties]
        assert [(h.who, h.field) for h in alice.history(morning.work_id)] == [
            ("alice", "created"), ("alice", "parties"), ("alice", "iswc"), ("alice", "isrc"), ("bob", "parties")]


def test_a_refusal_by_the_server_sends_the_chunk_row_by_row(pg_url: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Another session adds a recording with one of the sheet's ISRCs after the chunk looked:
    the unique index refuses the chunk's write, and the row-by-row path finds that recording."""
    with Catalogue(pg_url, user="alice") as alice, Catalogue(pg_url, user="bob") as bob:
        real_write = import_batch.ChunkView.write
        calls = []

        def bob_adds_first(view: import_batch.ChunkView) -> None:
            if not calls:
                bob.save_recording(Recording(title="Bob's Morning", isrc="US-RC1-76-07839"))
            calls.append(1)
            real_write(view)

        monkeypatch.setattr(import_batch.ChunkView, "write", bob_adds_first)
        report = import_file(alice, write_sheet(tmp_path / "kpm.csv", GOOD_ROWS))
        assert len(calls) == 1
        assert [(o.action, o.title) for o in report.outcomes] == [("update", "Morning Run"), ("add", "Evening Walk")]
        rec = alice.recording_by_isrc("USRC17607839")
        assert rec.title == "Morning Run" and rec.version == 2 and alice.counts()["recordings"] == 2


def test_a_batched_import_is_announced_to_other_sessions(pg_url: str, tmp_path: Path) -> None:
    from cuesheet_app.rights.live import ChangeListener
    from tests.pg_server import wait_for

    listener = ChangeListener(pg_url)
    try:
        with Catalogue(pg_url, user="carol") as cat:
            import_file(cat, write_sheet(tmp_path / "kpm.csv", GOOD_ROWS))
            heard: list = []
            assert wait_for(lambda: bool(heard.extend(listener.poll()) or heard), 5)
            assert [c.by for c in heard] == ["carol"]
            assert sorted(heard[0].works) == sorted(w.id for w in cat.all_works())
            assert sorted(heard[0].recordings) == sorted(r.id for r in cat.all_recordings())
    finally:
        listener.close()


def _library(cat: Catalogue, rng: random.Random) -> None:
    """Albums of tracks (one code per album), a few recordings without a work or without artists."""
    for album in range(6):
        for track in range(1, 6):
            title = f"{rng.choice(['Run', 'Dream', 'Rise'])} {album}-{track}"
            work = Work(title=title, parties=[Party(role="C", first_name="Ann", last_name=f"Lee{album}",
                                                             share=Fraction(100))])
            work_id = cat.save_work(work) if track != 5 else None
            cat.save_recording(Recording(
                work_id=work_id, title=title if track != 4 else "Shared Title", isrc=f"GBAAA24{album:02d}{track:03d}",
                artists=[] if track == 3 else [f"Band {album % 2}"], library=f"LIB{album % 2}",
                catalogue_number=f"ALB {album}", track_number=str(track)))


def test_auto_fill_of_a_season_matches_cue_by_cue_lookups(pg_url: str, tmp_path: Path) -> None:
    rng = random.Random(7)
    for location in (pg_url, tmp_path / "c.sqlite"):
        with Catalogue(location) as cat:
            _library(cat, random.Random(3))
            cues = []
            for _ in range(120):
                album, track = rng.randrange(7), rng.randrange(0, 7)
                kind = rng.randrange(4)
                if kind == 0:
                    cues.append(Cue(title="x", isrc=f"GB-AAA-24-{album:02d}{track:03d}"))
                elif kind == 1:
                    cues.append(Cue(title="x", library=rng.choice(["", f"LIB{album % 2}", "LIB9"]),
                                    catalogue_number=f"alb-{album}", track_number=rng.choice(["", str(track)])))
                elif kind == 2:
                    cues.append(Cue(title="Shared Title", artists=[f"Band {rng.randrange(3)}"]))
                else:
                    cues.append(Cue(title=f"Dream {album}-{track}", artists=rng.choice([[], ["Band 0"]])))
            expected, filled, matched = [], {}, 0
            for cue in cues:
                copy = Cue.from_dict(cue.to_dict())
                match = find_recording(cat, copy)
                if match is not None:
                    matched += 1
                    if names := fill_cue(copy, match):
                        filled[copy.id] = names
                expected.append(copy.to_dict())
            report = fill_cues(cat, cues)
            assert [c.to_dict() for c in cues] == expected
            assert report.filled == filled
            assert report.matched == matched > 20


def test_search_hits_are_the_same_on_both_backends(pg_url: str, tmp_path: Path) -> None:
    results = []
    for location in (pg_url, tmp_path / "c.sqlite"):
        with Catalogue(location) as cat:
            _library(cat, random.Random(3))
            cat.save_work(Work(title="A Work Without Recordings", iswc="T-034.524.680-1"))
            results.append([[(h.title, h.recording.isrc if h.recording else "", h.work.title if h.work else "",
                              [p.display_name for p in h.work.parties] if h.work else [])
                             for h in cat.search(text)]
                            for text in ("", "dream", "alb 3", "GBAAA2400", "lee2", "shared", "without", "T0345")])
    assert results[0] == results[1]
    assert all(results[0])


def test_trigram_indexes_keep_a_short_pending_list(pg_url: str) -> None:
    from cuesheet_app.rights.schema import GIN_PENDING_LIST_KB, PG_TRGM_INDEXES

    with Catalogue(pg_url) as cat:
        options = dict(cat.backend.execute(
            "SELECT c.relname, array_to_string(c.reloptions, ',') FROM pg_class c JOIN pg_am a ON a.oid = c.relam "
            "WHERE a.amname = 'gin'").fetchall())
    assert sorted(options) == sorted(PG_TRGM_INDEXES)
    assert set(options.values()) == {f"gin_pending_list_limit={GIN_PENDING_LIST_KB}"}



def test_a_directory_edit_between_a_chunks_read_and_write_is_not_overwritten(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunk completes Jane Doe's society from the sheet; bob sets her IPI in the directory in
    the meantime. The chunk's directory update must not put back the IPI it read (bob's edit lost,
    its history lines contradicted): like the row-by-row import, the society is completed on the
    entry as it is now and bob's IPI stays."""
    from cuesheet_app.rights.records import DirectoryParty

    with Catalogue(pg_url, user="alice") as alice, Catalogue(pg_url, user="bob") as bob:
        pid = alice.add_party(Party(role="C", first_name="Jane", last_name="Doe"))
        real_write = import_batch.ChunkView.write
        interfered = []

        def bob_edits_first(view: import_batch.ChunkView) -> None:
            if not interfered:
                bob.update_party(DirectoryParty(id=pid, first_name="Jane", last_name="Doe", ipi="00012345678"))
                interfered.append(1)
            real_write(view)

        monkeypatch.setattr(import_batch.ChunkView, "write", bob_edits_first)
        row = ["KPM", "KPM 1044", "Brand New", "01", "", "Jane Doe [ASCAP] 100%", "", "", "", ""]
        report = import_file(alice, write_sheet(tmp_path / "new.csv", [row]))
        assert interfered == [1]
        assert [o.action for o in report.outcomes] == ["add"]
        assert [(p.id, p.pro, p.ipi) for p in alice.parties("Jane Doe")] == [(pid, "ASCAP", "00012345678")]
        work = alice.works_by_title("Brand New")[0]
        assert [(p.display_name, p.pro, p.ipi) for p in work.parties] == [("Jane Doe", "ASCAP", "00012345678")]
