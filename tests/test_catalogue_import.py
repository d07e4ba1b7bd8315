"""Importing sheets and audio tags: preview, idempotent re-import, bad rows, backup and restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuesheet_app.rights.backup import BackupError, export_catalogue, restore_catalogue
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.importer import ImportSourceError, import_file, tag_row
from tests.audio_fixtures import chord_music, write_wav
from tests.catalogue_helpers import BAD_ROWS, GOOD_ROWS, write_sheet

EMPTY = {"works": 0, "recordings": 0, "parties": 0, "work_parties": 0}


@pytest.fixture
def cat(tmp_path: Path):
    with Catalogue(tmp_path / "cat.sqlite") as c:
        yield c


def test_preview_writes_nothing_and_matches_the_real_import(cat: Catalogue, tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "kpm.csv", GOOD_ROWS)
    preview = import_file(cat, sheet, dry_run=True)
    assert not preview.applied
    assert cat.counts() == EMPTY
    assert [(o.where, o.action) for o in preview.outcomes] == [("kpm.csv row 2", "add"), ("kpm.csv row 3", "add")]
    real = import_file(cat, sheet)
    assert real.applied
    assert [(o.action, o.changes) for o in real.outcomes] == [(o.action, o.changes) for o in preview.outcomes]
    assert cat.counts() == {"works": 2, "recordings": 2, "parties": 3, "work_parties": 5}
    rec = cat.recording_by_isrc("USRC17607839")
    assert rec is not None and rec.library == "KPM" and rec.catalogue_number == "KPM 1043"
    assert rec.track_number == "01" and rec.duration_s == "155"
    work = cat.get_work(rec.work_id or 0)
    assert work is not None and work.iswc == "T0345246801"
    assert [(p.role, p.display_name, p.ipi, p.share) for p in work.parties] == [
        ("C", "Jane Doe", "00012345678", 50), ("C", "John Roe", "", 50), ("E", "Acme Music", "", 100)]


def test_reimport_updates_rather_than_duplicates(cat: Catalogue, tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "kpm.csv", GOOD_ROWS)
    import_file(cat, sheet)
    counts = cat.counts()
    again = import_file(cat, sheet)
    assert [o.action for o in again.outcomes] == ["unchanged", "unchanged"]
    assert cat.counts() == counts
    changed = [list(r) for r in GOOD_ROWS]
    changed[1][5] = "Jane Doe [ASCAP] 50%; Max Mustermann [GEMA] 50%"  # a corrected credit
    changed[1][7] = "GB-AAA-24-00001"  # an ISRC added later: still the same recording (by code + track)
    preview = import_file(cat, write_sheet(tmp_path / "kpm2.csv", changed), dry_run=True)
    assert [o.action for o in preview.outcomes] == ["unchanged", "update"]
    assert any(c.startswith("parties:") and "Max Mustermann" in c for c in preview.outcomes[1].changes)
    assert any(c == "isrc: — → GBAAA2400001" for c in preview.outcomes[1].changes)
    assert cat.recording_by_isrc("GBAAA2400001") is None  # preview only
    import_file(cat, tmp_path / "kpm2.csv")
    assert cat.counts()["recordings"] == 2 and cat.counts()["works"] == 2
    rec = cat.recording_by_isrc("GBAAA2400001")
    assert rec is not None and rec.title == "Evening Walk"
    work = cat.get_work(rec.work_id or 0)
    assert work is not None and [p.display_name for p in work.parties if p.role == "C"] == ["Jane Doe", "Max Mustermann"]


def test_a_bad_field_loses_only_that_field(cat: Catalogue, tmp_path: Path) -> None:
    report = import_file(cat, write_sheet(tmp_path / "mixed.csv", GOOD_ROWS + BAD_ROWS))
    # Only the duplicate ISRC makes a row unusable; the others go in without their bad field.
    assert {o.where: o.reason for o in report.skipped} == {
        "mixed.csv row 7": "duplicate ISRC USRC17607839: already in mixed.csv row 2"}
    assert report.count("add") == 5
    left_out = {o.where: o.problems for o in report.with_problems}
    assert left_out == {
        "mixed.csv row 4": ["column composers: writer shares add up to 120%, not 100%; "
                            "the writer shares are left empty"],
        "mixed.csv row 5": ["column iswc: 'T-034.524.680-2' is not a valid ISWC (T-DDD.DDD.DDD-C); "
                            "the value is left out"],
        "mixed.csv row 6": ["column composers: 'Jane Doe [123] 100%': cannot tell what [123] is (PRO or IPI); "
                            "this entry is left out"],
    }
    assert report.summary().endswith("1 skipped, 3 applied with problems")
    shares = cat.search("Bad Shares")[0].work
    assert [(p.display_name, p.share) for p in shares.parties] == [("Jane Doe", 0), ("John Roe", 0)]
    assert cat.search("Bad ISWC")[0].work.iswc == ""
    assert cat.search("Bad IPI")[0].work.parties == []
    assert cat.search("Dupe") == []


def test_one_bad_isrc_and_one_bad_share_keep_the_rest_of_their_rows(cat: Catalogue, tmp_path: Path) -> None:
    rows = [
        ["KPM", "KPM 2001", "Harbour Lights", "01", "The Band",
         "Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] 50%", "Acme Music [ASCAP] 100%",
         "QZ-EV1-2O-00002", "", "2:00"],  # a letter O where a zero belongs
        ["KPM", "KPM 2001", "Low Tide", "02", "The Band", "Jane Doe [ASCAP] 120%", "Acme Music [ASCAP] 100%",
         "qz ev1 20 00003", "", "1:30"],  # a share over 100 %, and an ISRC in lower case with spaces
    ]
    preview = import_file(cat, write_sheet(tmp_path / "sheet.csv", rows), dry_run=True)
    assert [o.action for o in preview.outcomes] == ["add", "add"]
    assert preview.with_problems[0].problem_lines() == [
        "sheet.csv row 2, column isrc: 'QZ-EV1-2O-00002' is not a valid ISRC (CC-XXX-YY-NNNNN); "
        "the value is left out"]
    assert preview.with_problems[1].problem_lines() == [
        "sheet.csv row 3, column composers: 'Jane Doe [ASCAP] 120%': a share of 120% is over 100%; "
        "the share is left empty"]
    assert preview.outcomes[1].notes == ["column isrc: 'qz ev1 20 00003' normalised to QZEV12000003"]
    assert "2 applied with problems" in preview.summary()
    report = import_file(cat, tmp_path / "sheet.csv")
    assert report.applied and len(report.with_problems) == 2
    harbour = cat.search("Harbour Lights")[0]
    assert harbour.recording.isrc == "" and harbour.recording.artists == ["The Band"]
    assert [(p.display_name, p.pro, p.share) for p in harbour.work.parties] == [
        ("Jane Doe", "ASCAP", 50), ("John Roe", "BMI", 50), ("Acme Music", "ASCAP", 100)]
    low_tide = cat.search("Low Tide")[0]
    assert low_tide.recording.isrc == "QZEV12000003"
    assert [(p.display_name, p.share) for p in low_tide.work.parties] == [("Jane Doe", 0), ("Acme Music", 100)]


def test_work_only_rows_and_standard_template_columns(cat: Catalogue, tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "works.csv", [["Liebesleid", "Fritz Kreisler [GEMA] 100%", "Lovely Love"]],
                        header=["Track Title", "Writers", "Alternative Titles"])
    report = import_file(cat, sheet)
    assert report.count("add") == 1
    assert cat.counts()["recordings"] == 0
    hits = cat.search("lovely love")
    assert len(hits) == 1 and hits[0].work and hits[0].recording is None
    assert import_file(cat, sheet).count("unchanged") == 1


def test_whole_source_problems_are_one_clear_error(cat: Catalogue, tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match="nope.csv: metadata sheet not found|nope.csv: file not found"):
        import_file(cat, tmp_path / "nope.csv")
    (tmp_path / "notes.doc").write_text("x")
    with pytest.raises(ImportSourceError, match=r"notes.doc: cannot import \.doc"):
        import_file(cat, tmp_path / "notes.doc")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(ImportSourceError, match="no audio files"):
        import_file(cat, empty_dir)


def _tagged_wav(path: Path, title: str, isrc: str, composers: list[str], publisher: str) -> Path:
    from mutagen.id3 import TCOM, TIT2, TPE1, TPUB, TSRC
    from mutagen.wave import WAVE

    write_wav(path, chord_music(0.5))
    w = WAVE(path)
    w.add_tags()
    w.tags.add(TIT2(encoding=3, text=title))
    w.tags.add(TPE1(encoding=3, text="Library Orchestra"))
    w.tags.add(TCOM(encoding=3, text=composers))
    w.tags.add(TPUB(encoding=3, text=publisher))
    w.tags.add(TSRC(encoding=3, text=isrc))
    w.save()
    return path


def test_audio_tags_import_from_a_folder(cat: Catalogue, tmp_path: Path) -> None:
    folder = tmp_path / "tracks"
    folder.mkdir()
    _tagged_wav(folder / "a.wav", "Tagged One", "GBAAA2400002", ["Jane Doe", "John Roe"], "Acme Music")
    _tagged_wav(folder / "b.wav", "Tagged Two", "GBAAA2400003", ["Jane Doe"], "Acme Music")
    (folder / "broken.mp3").write_bytes(b"\x00" * 100)
    row = tag_row(folder / "a.wav")
    assert row.values["composers"] == "Jane Doe; John Roe" and row.values["duration"] == "0.5"
    calls: list[tuple[str, int, int]] = []
    report = import_file(cat, folder, progress=lambda *a: calls.append(a))
    assert calls == [("reading tags", 1, 3), ("reading tags", 2, 3), ("reading tags", 3, 3), ("importing", 3, 3)]
    assert report.count("add") == 2
    assert [o.where for o in report.skipped] == ["broken.mp3"]
    rec = cat.recording_by_isrc("GBAAA2400002")
    assert rec is not None and rec.artists == ["Library Orchestra"] and rec.source_file.endswith("a.wav")
    work = cat.get_work(rec.work_id or 0)
    assert work is not None and [(p.role, p.display_name) for p in work.parties] == [
        ("C", "Jane Doe"), ("C", "John Roe"), ("E", "Acme Music")]
    assert import_file(cat, folder).count("unchanged") == 2


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_backup_and_restore_round_trip(cat: Catalogue, tmp_path: Path, suffix: str) -> None:
    import_file(cat, write_sheet(tmp_path / "kpm.csv", GOOD_ROWS))
    import_file(cat, write_sheet(tmp_path / "works.csv", [["Liebesleid", "Fritz Kreisler [GEMA] 100%"]],
                                 header=["Title", "Composers"]))
    from cuesheet_app.domain.model import Party
    from cuesheet_app.rights.records import Work

    lyric = Work(title="Song With Words", parties=[
        Party(role="A", first_name="Lyric", last_name="Writer", share=50),
        Party(role="C", first_name="Tune", last_name="Smith", share=50),
        Party(role="SE", company="Sub Pub", share=100)])
    cat.save_work(lyric)
    backup = tmp_path / f"backup{suffix}"
    assert export_catalogue(cat, backup) == 4
    with Catalogue(tmp_path / "restored.sqlite") as fresh:
        report = restore_catalogue(fresh, backup)
        assert report.count("skip") == 0 and report.count("add") == 4
        assert fresh.counts() == cat.counts()

        def snapshot(c: Catalogue) -> list[tuple]:
            return sorted((h.title, h.recording.isrc if h.recording else "",
                           h.recording.track_number if h.recording else "",
                           h.work.iswc if h.work else "",
                           tuple(sorted((p.role, p.display_name, p.pro, p.ipi, p.share) for p in h.work.parties))
                           if h.work else ()) for h in c.search(""))

        assert snapshot(fresh) == snapshot(cat)
        assert restore_catalogue(fresh, backup).count("unchanged") == 4
    with pytest.raises(BackupError, match=r"backup.txt: back up to a .csv or .xlsx file"):
        export_catalogue(cat, tmp_path / "backup.txt")


def test_preview_needs_no_write_lock_and_import_commits_in_batches(tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    from cuesheet_app.rights import importer

    path = tmp_path / "cat.sqlite"
    with Catalogue(path, timeout_s=2) as cat:
        import_file(cat, write_sheet(tmp_path / "one.csv", GOOD_ROWS[:1]))
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another window is writing right now
        try:
            preview = import_file(cat, write_sheet(tmp_path / "all.csv", GOOD_ROWS + BAD_ROWS), dry_run=True)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert [o.action for o in preview.outcomes] == ["unchanged", "add", "add", "add", "add", "skip"]
        monkeypatch.setattr(importer, "BATCH_ROWS", 2)
        report = import_file(cat, tmp_path / "all.csv")
        assert [(o.action, o.changes) for o in report.outcomes] == [(o.action, o.changes) for o in preview.outcomes]
        assert cat.counts()["recordings"] == 5 and cat.integrity_check() == "ok"


def test_house_notation_with_parentheses_and_slashes(cat: Catalogue, tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "house.csv", [[
        "Harbour Lights", "Jane Doe (ASCAP) (00012345678) 50% / John Roe (bmi) 50%",
        "The Band (UK) Music Ltd (PRS) 100%", "GB-AAA-24-00077"]],
        header=["Track Title", "Composer(s)", "Publisher(s)", "ISRC"])
    report = import_file(cat, sheet)
    assert report.count("add") == 1, report.outcomes
    rec = cat.recording_by_isrc("GBAAA2400077")
    assert rec is not None
    work = cat.get_work(rec.work_id or 0)
    assert work is not None
    assert [(p.role, p.display_name, p.pro, p.ipi, p.share) for p in work.parties] == [
        ("C", "Jane Doe", "ASCAP", "00012345678", 50), ("C", "John Roe", "BMI", "", 50),
        ("E", "The Band (UK) Music Ltd", "PRS", "", 100)]
