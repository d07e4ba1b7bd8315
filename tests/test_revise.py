"""Revising a sheet for a re-cut, and comparing sheets, on generated episodes.

The re-cut drops a section, swaps two and inserts a new library track; the old sheet has
rights, usages, notes and title corrections typed on it, which must all come forward.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from cuesheet_app.domain.model import Party
from cuesheet_app.identify.base import IdentifyRequest
from cuesheet_app.identify.local.engine import LocalEngine
from cuesheet_app.services.projects import add_engine_results, new_sheet_for_media
from cuesheet_app.settings.store import Settings
from cuesheet_app.storage import project_file
from tests.cli_helpers import run_cli
from tests.recut_fixtures import ORIGINAL, RECUT, build_library, start_of, write_episode


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("recut")
    lib = build_library(root)
    old_ep = write_episode(root / "ep101.wav", ORIGINAL)
    new_ep = write_episode(root / "ep101_recut.wav", RECUT)
    sheet = new_sheet_for_media(old_ep, Settings())
    doc = LocalEngine(lib).identify(IdentifyRequest(media_path=old_ep))
    add_engine_results(sheet, doc, "local", Settings())
    titles = [c.title for c in sheet.cues]
    assert titles == ["Calm Sea", "Unidentified music 1", "Night Drive", "track3"], titles
    sea, band, drive, third = sheet.cues
    # what people typed on version 1
    sea.title = "Calm Sea (Main Theme)"
    sea.usage = "VI"
    sea.notes = "On-screen radio"
    band.title = "Rehearsal Jam"
    band.flags.remove("unidentified")
    band.origin = "commissioned"
    band.parties = [Party(role="C", first_name="Mia", last_name="Klee", pro="GEMA", share=Fraction(100))]
    drive.parties = [Party(role="C", first_name="Bo", last_name="Lane", pro="PRS", share=Fraction(50)),
                     Party(role="E", company="Lane Songs", pro="PRS", share=Fraction(50))]
    third.notes = "cut in v2"
    h = sheet.header
    h.program_title, h.production_company, h.network = "Coast Life", "Harbour Films", "NBS"
    h.episode_number = "101"
    old_path = root / "v1.cuesheet"
    project_file.save(sheet, old_path)
    return {"root": root, "lib": lib, "old": old_path, "new_ep": new_ep, "old_ep": old_ep}


def _revise(work: dict[str, Path], out: Path, *extra: str) -> dict:
    r = run_cli("revise", str(work["old"]), str(work["new_ep"]), "--library", str(work["lib"]),
                "-o", str(out), "--json", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_recut_carries_rights_forward_and_lists_changes(work: dict[str, Path]) -> None:
    out = work["root"] / "v2.cuesheet"
    data = _revise(work, out)
    old = project_file.load(work["old"])
    new = project_file.load(out)
    # header copied, one revision up, Revised, a draft again; the old version kept beside it
    assert (new.header.program_title, new.header.network, new.header.episode_number) == ("Coast Life", "NBS", "101")
    assert new.header.revision_number == old.header.revision_number + 1 == 1
    assert new.header.classification == "Revised" and new.header.status == "draft"
    assert new.previous is not None and [c.id for c in new.previous.cues] == [c.id for c in old.cues]
    assert new.media[0].path.endswith("ep101_recut.wav")

    by_title = {c.title: c for c in new.cues}
    assert list(by_title) == ["Night Drive", "Rehearsal Jam", "track0", "Calm Sea (Main Theme)"]
    marks = {c["title"]: c["mark"] for c in data["cues"]}
    assert marks == {"Night Drive": "changed", "Rehearsal Jam": "unchanged", "track0": "added",
                     "Calm Sea (Main Theme)": "changed"}
    # everything typed came forward, with the cue ids and numbers
    sea_old = old.cues[0]
    sea = by_title["Calm Sea (Main Theme)"]
    assert (sea.id, sea.cue_number, sea.usage, sea.notes) == (sea_old.id, "1M01", "VI", "On-screen radio")
    assert [p.display_name for p in sea.parties] == [p.display_name for p in sea_old.parties]
    band = by_title["Rehearsal Jam"]  # unidentified music, found again by its audio
    assert band.origin == "commissioned" and band.parties[0].last_name == "Klee" and band.cue_number == "1M02"
    drive = by_title["Night Drive"]
    assert [p.display_name for p in drive.parties] == ["Bo Lane", "Lane Songs"]
    # the moved cues play where their music now is
    assert abs(float(new.program_seconds(sea.start)) - start_of(RECUT, "sea")) < 0.3
    assert abs(float(new.program_seconds(drive.start)) - start_of(RECUT, "drive")) < 0.3
    assert abs(float(new.program_seconds(band.start) - old.program_seconds(old.cues[1].start))) < 0.01
    # the new track is added with a number no old cue had; the dropped one is listed as removed
    added = by_title["track0"]
    assert added.cue_number not in {c.cue_number for c in old.cues}
    assert [c["title"] for c in data["removed"]] == ["track3"]
    changed = {c["title"]: c for c in data["diff"]["changed"]}
    assert set(changed) == {"Night Drive", "Calm Sea (Main Theme)"}
    sea_change = changed["Calm Sea (Main Theme)"]["fields"]["start"]
    assert abs(sea_change["old"] - start_of(ORIGINAL, "sea")) < 0.3 and abs(sea_change["new"] - start_of(RECUT, "sea")) < 0.3

    # the human report shows each mark with old and new times
    r = run_cli("revise", str(work["old"]), str(work["new_ep"]), "--library", str(work["lib"]),
                "-o", str(work["root"] / "v2b.cuesheet"))
    assert r.returncode == 0, r.stderr
    assert "changed" in r.stdout and "(was 0:00:02." in r.stdout and "Removed:" in r.stdout
    assert "“track3”" in r.stdout and "added" in r.stdout


def test_revise_without_old_media_says_what_it_could_not_compare(work: dict[str, Path]) -> None:
    moved = work["root"] / "moved.cuesheet"
    sheet = project_file.load(work["old"])
    sheet.media[0].path = str(work["root"] / "gone.wav")
    project_file.save(sheet, moved)
    r = run_cli("revise", str(moved), str(work["new_ep"]), "--library", str(work["lib"]),
                "-o", str(work["root"] / "v2c.cuesheet"), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert any("--old-media" in n for n in data["notes"])
    assert "Rehearsal Jam" in [c["title"] for c in data["removed"]]
    # pointing at the moved media finds it again
    r = run_cli("revise", str(moved), str(work["new_ep"]), "--library", str(work["lib"]),
                "-o", str(work["root"] / "v2d.cuesheet"), "--json", "--old-media", str(work["old_ep"]))
    assert "Rehearsal Jam" not in [c["title"] for c in json.loads(r.stdout)["removed"]]


def test_diff_human_and_json(work: dict[str, Path]) -> None:
    v2 = work["root"] / "v2-diff.cuesheet"
    _revise(work, v2)
    edited = project_file.load(v2)
    edited.cues[0].usage = "BV"
    edited_path = work["root"] / "v2-edited.cuesheet"
    project_file.save(edited, edited_path)

    r = run_cli("diff", str(work["old"]), str(edited_path), "--json")
    assert r.returncode == 1, r.stderr  # they differ
    data = json.loads(r.stdout)
    assert set(data) == {"added", "removed", "changed", "unchanged"}
    assert [c["title"] for c in data["added"]] == ["track0"]
    assert [c["title"] for c in data["removed"]] == ["track3"]
    assert data["unchanged"] == 1
    assert all(isinstance(c[k], (int, float)) for c in data["added"] + data["removed"] for k in ("start", "end"))
    drive = next(c for c in data["changed"] if c["title"] == "Night Drive")
    assert drive["fields"]["usage"] == {"old": "BI", "new": "BV"}
    assert abs(drive["fields"]["start"]["old"] - start_of(ORIGINAL, "drive")) < 0.3
    assert abs(drive["start"] - start_of(RECUT, "drive")) < 0.3

    r = run_cli("diff", str(work["old"]), str(edited_path))
    assert r.returncode == 1
    out = r.stdout
    assert "Added (1):" in out and "+ " in out and "track0" in out
    assert "Removed (1):" in out and "track3" in out
    assert "Changed (2):" in out and "usage “BI” → “BV”" in out and "start 0:00:28." in out
    assert "Unchanged: 1" in out

    same = run_cli("diff", str(work["old"]), str(work["old"]), "--json")
    assert same.returncode == 0 and json.loads(same.stdout) == {"added": [], "removed": [], "changed": [],
                                                                  "unchanged": 4}
    bad = run_cli("diff", str(work["old"]), str(work["root"] / "nope.cuesheet"))
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_diff_of_two_sheets_made_separately_pairs_by_music_and_place(work: dict[str, Path]) -> None:
    """No shared ids: library cues pair by track and offsets, unidentified ones by their place."""
    old = project_file.load(work["old"])
    again = new_sheet_for_media(work["old_ep"], Settings())
    add_engine_results(again, LocalEngine(work["lib"]).identify(IdentifyRequest(media_path=work["old_ep"])),
                       "local", Settings())
    assert not {c.id for c in again.cues} & {c.id for c in old.cues}
    from cuesheet_app.domain.sheet_diff import diff_sheets

    d = diff_sheets(old, again)
    assert d.added == [] and d.removed == []
    changed = {c.new.title: set(c.fields) for c in d.changed}
    # only what was typed on the old sheet differs
    assert changed["Calm Sea"] == {"title", "usage", "notes"}
    assert changed["Unidentified music 1"] == {"title", "origin", "parties"}


def test_a_second_revision_finds_unidentified_music_from_the_prints_the_first_kept(work: dict[str, Path]) -> None:
    v2 = work["root"] / "v2-prints.cuesheet"
    _revise(work, v2)
    sheet = project_file.load(v2)
    band = next(c for c in sheet.cues if c.title == "Rehearsal Jam")
    assert band.provenance.audio_print["words"]
    sheet.media[0].path = str(work["root"] / "moved-away.wav")  # this cut's media is gone
    project_file.save(sheet, v2)
    r = run_cli("revise", str(v2), str(work["old_ep"]), "--library", str(work["lib"]),
                "-o", str(work["root"] / "v3.cuesheet"), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["notes"] == []
    marks = {c["title"]: c["mark"] for c in data["cues"]}
    assert marks["Rehearsal Jam"] == "unchanged"  # back in the original cut, at the same place
    v3 = project_file.load(work["root"] / "v3.cuesheet")
    assert v3.header.revision_number == 2
    assert next(c for c in v3.cues if c.title == "Rehearsal Jam").parties[0].last_name == "Klee"
