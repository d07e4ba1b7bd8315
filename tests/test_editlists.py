"""Edit lists -> music decisions -> cues, frame-exact, for every format (files written at test time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.edit_clips import EditClip, EditList, EditTrack, time_mapping
from cuesheet_app.domain.edit_merge import EditRangeError, merge_clips
from cuesheet_app.domain.music_rules import MusicRules, RulesError, decide
from cuesheet_app.editlists.errors import EditListError
from cuesheet_app.editlists.reader import read_edit_list
from cuesheet_app.services.edit_import import plan_import
from tests.editlist_fixtures import EDL_DF, EDL_NDF, PROTOOLS_TEXT, write_aaf, write_otio

R25 = tc.RATES["25"]


def _plan(path: Path, **kw):  # type: ignore[no-untyped-def]
    return plan_import(path, MusicRules(), **kw)


def _cues(plan) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    return [(c.title, c.start, c.end) for c in plan.cues]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --- the standard cut through OTIO's writers: DX, FX and two MX tracks ---------------------

STANDARD_CUES = [("Dawn", 100, 620), ("Song", 650, 900)]


def song_catalogue(path: Path) -> Path:
    """A rights catalogue that knows "Song" (a commercial track: title only, no artist)."""
    from cuesheet_app.rights.catalogue import Catalogue
    from cuesheet_app.rights.records import Recording, Work
    from tests.catalogue_helpers import kreisler_parties

    with Catalogue(path) as cat:
        work_id = cat.save_work(Work(title="Song", parties=kreisler_parties()))
        cat.save_recording(Recording(work_id=work_id, title="Song", label="Schott"))
    return path


@pytest.mark.parametrize("suffix,adapter", [(".otio", None), (".xml", "fcp_xml")])
def test_otio_and_fcp_xml_music_tracks_become_frame_exact_cues(tmp_path: Path, suffix: str, adapter: str) -> None:
    path = write_otio(tmp_path / ("cut" + suffix), adapter)
    catalogue = song_catalogue(tmp_path / "rights.sqlite")
    plan = _plan(path, catalogue_path=catalogue)
    assert plan.edit.format == ("OTIO" if suffix == ".otio" else "FCP 7 XML")
    # Dawn on MX 1 (100-600) and again on MX 2 (580-620): the same piece on two tracks is one cue.
    assert _cues(plan) == STANDARD_CUES
    excluded = {d.clip.name: d.rule for d in plan.decisions if not d.music}
    assert set(excluded) == {"dx take 1", "door"}
    assert "DX" in excluded["dx take 1"]
    if suffix == ".otio":
        assert excluded["door"] == "track 'FX' is FX: never a cue"
    else:  # FCP 7 XML lost the track names: the majority rule decides per track
        assert excluded["door"].startswith("not music")
        song = next(d for d in plan.decisions if d.clip.name == "Song")
        assert song.rule == "source found: catalogue title artist"
        dawn_on_a3 = next(d for d in plan.decisions if d.clip.track == "A3")
        assert dawn_on_a3.music and "catalogue code APM_ABC123_01" in dawn_on_a3.rule
    # The catalogue's rights go onto the cue; the library code alone flags it for rights.
    from cuesheet_app.services.edit_import import cues_for_plan

    cues = cues_for_plan(plan, catalogue)
    assert [c.parties[0].last_name for c in cues if c.title == "Song"] == ["Kreisler"]
    assert "rights-needed" in cues[0].flags and "rights-needed" not in cues[1].flags
    dawn = plan.cues[0]
    assert (dawn.resolution.library, dawn.resolution.catalogue_number, dawn.resolution.track_number) == (
        "APM", "ABC123", "01")


def test_fcpxml_is_read(tmp_path: Path) -> None:
    path = write_otio(tmp_path / "cut.fcpxml", "fcpx_xml")
    plan = _plan(path, catalogue_path=song_catalogue(tmp_path / "rights.sqlite"))
    assert plan.edit.format == "FCPXML"
    assert [c.title for c in plan.cues] == ["Dawn", "Song"]
    assert [c.end - c.start for c in plan.cues] == [520, 250]


def test_otioz_is_read(tmp_path: Path) -> None:
    path = write_otio(tmp_path / "cut.otioz", "otioz")
    assert _cues(_plan(path)) == STANDARD_CUES


def test_aaf_written_with_pyaaf2(tmp_path: Path) -> None:
    path = write_aaf(tmp_path / "cut.aaf")
    plan = _plan(path)
    assert plan.edit.format == "AAF"
    assert [t.name for t in plan.edit.audio_tracks()] == ["DX", "FX", "MX 1", "MX 2"]
    # AAF through OTIO loses the sequence start: record times count from the first frame.
    assert [(t, s - 0, e) for t, s, e in _cues(plan)] == [("Dawn", 100, 620), ("Song", 650, 900)]


def test_aaf_without_audio_tracks_is_an_error(tmp_path: Path) -> None:
    path = write_aaf(tmp_path / "picture.aaf", audio=False)
    with pytest.raises(EditListError, match="AAF has no audio tracks"):
        read_edit_list(path)


# --- hand-written EDLs -------------------------------------------------------------------------

def test_edl_aa_a2_aud_dissolve_and_comments(tmp_path: Path) -> None:
    plan = _plan(_write(tmp_path, "ep101.edl", EDL_NDF), rate=R25)
    edit = plan.edit
    assert edit.format == "CMX 3600 EDL" and edit.title == "EP101 MUSIC CUES"
    assert edit.sequence_start == 90000 and edit.music_only
    assert [t.name for t in edit.audio_tracks()] == ["A1", "A2", "A3", "A4"]
    # Dawn: 4 s-18 s, plays on 25 frames under the dissolve to Rise (18 s-30 s); the crossfade is
    # split in its middle. Song: on A3+A4 (AUD 3 4), one cue. The SFX on A2 is excluded by prefix.
    assert _cues(plan) == [("Dawn", 100, 462), ("Rise", 462, 750), ("Song of the Sea", 775, 900)]
    sfx = next(d for d in plan.decisions if d.clip.name.startswith("SFX"))
    assert not sfx.music and "SFX" in sfx.rule
    dawn_clips = [c for c in edit.clips() if "Dawn" in c.name]
    assert {c.source_file for c in dawn_clips if c.line in (7, 10)} == {"/Volumes/Music/APM/APM_ABC123_01 Dawn.wav"}
    assert plan.cues[1].resolution.library == "BMGPM" and plan.cues[1].resolution.track_number == "5"
    assert sum(c.end - c.start for c in plan.cues) <= edit.end() - edit.sequence_start


def test_edl_drop_frame_is_honoured(tmp_path: Path) -> None:
    path = _write(tmp_path, "df.edl", EDL_DF)
    plan = _plan(path, rate=tc.RATES["29.97"])  # the FCM line turns 29.97 into drop-frame
    assert plan.edit.rate.name == "29.97DF"
    # 01:00:00;00-01:01:00;02 is 1,800 frames (;00 and ;01 of minute 1 do not exist);
    # 01:09:59;28 is 2 frames before 01:10:00;00 = 17,982 frames after the hour (10 x 1,798.2).
    assert _cues(plan) == [("Score Main", 0, 1800), ("Score End", 17980, 17992)]


def test_edl_without_fcm_reads_semicolons_as_drop_frame(tmp_path: Path) -> None:
    text = EDL_DF.replace("FCM: DROP FRAME\n", "")
    plan = _plan(_write(tmp_path, "nofcm.edl", text), rate=tc.RATES["29.97"])
    assert plan.edit.rate.name == "29.97DF" and plan.cues[0].end == 1800


def test_edl_drop_frame_at_25_fps_says_so(tmp_path: Path) -> None:
    text = EDL_NDF.replace("FCM: NON-DROP FRAME", "FCM: DROP FRAME")
    plan = _plan(_write(tmp_path, "df25.edl", text), rate=R25)
    assert any("drop frame" in n for n in plan.notes)


def test_edl_gap_bridging_is_a_setting(tmp_path: Path) -> None:
    text = """TITLE: GAPS
FCM: NON-DROP FRAME
001  AX  A  C  00:00:00:00 00:00:10:00 01:00:00:00 01:00:10:00
* FROM CLIP NAME: Theme.wav
002  AX  A  C  00:00:10:10 00:00:20:00 01:00:10:10 01:00:20:00
* FROM CLIP NAME: Theme.wav
"""
    path = _write(tmp_path, "gaps.edl", text)
    rules = MusicRules(bridge_gap_frames=10)
    assert len(plan_import(path, rules, rate=R25).cues) == 1
    rules = MusicRules(bridge_gap_frames=9)
    assert [(c.start, c.end) for c in plan_import(path, rules, rate=R25).cues] == [(0, 250), (260, 500)]


def test_malformed_edl_event_names_its_line(tmp_path: Path) -> None:
    text = EDL_NDF.replace("003  AX       A     C        00:00:20:00 00:00:24:00 01:00:14:00 01:00:18:00",
                           "003  AX       A     C        00:00:20:00 00:00:24:00 01:00:14:00")
    with pytest.raises(EditListError, match=r"line 10: event 003 is truncated or malformed"):
        read_edit_list(_write(tmp_path, "bad.edl", text), R25)
    text = EDL_NDF.replace("01:00:14:00 01:00:18:00", "01:00:14:00 01:00:18:31")
    with pytest.raises(EditListError, match=r"line 10: event 003: .*"):
        read_edit_list(_write(tmp_path, "bad2.edl", text), R25)


def test_record_times_past_the_media_are_an_error(tmp_path: Path) -> None:
    from cuesheet_app.media.probe import MediaInfo

    media = MediaInfo(path=tmp_path / "ep.mov", container="mov", duration_s=tc.to_fraction(30),
                      video_fps=tc.to_fraction(25))
    with pytest.raises(EditRangeError, match="outside the media"):
        _plan(_write(tmp_path, "ep.edl", EDL_NDF), media=media)
    # 40 s of media holds every cue.
    media.duration_s = tc.to_fraction(40)
    assert len(_plan(_write(tmp_path, "ep.edl", EDL_NDF), media=media).cues) == 3


# --- Pro Tools session text --------------------------------------------------------------------

def test_protools_session_text_skips_muted_clips_and_tracks(tmp_path: Path) -> None:
    plan = _plan(_write(tmp_path, "session.txt", PROTOOLS_TEXT))
    edit = plan.edit
    assert edit.format == "Pro Tools session text" and edit.rate == R25
    assert edit.sequence_start == tc.timecode_to_frames("00:59:50:00", R25)
    rules = {d.clip.name + "@" + str(d.clip.line): (d.music, d.rule) for d in plan.decisions}
    assert rules["dx take 1@24"] == (False, "track 'DIA 1' is DIA: never a cue")
    assert rules["Song.L@34"][1] == "muted clip"
    assert rules["Old Temp Score@45"][1] == "muted track"
    # The session starts 10 s before the hour: that is the media's first frame.
    assert _cues(plan) == [("Dawn", 350, 850), ("Song", 1250, 1500)]
    assert plan.cues[0].clips[0].source_file == "APM_ABC123_01 Dawn.wav"


def test_protools_older_header_spelling(tmp_path: Path) -> None:
    text = PROTOOLS_TEXT.replace("TIMECODE FORMAT:\t25 Frame", "TIME CODE FORMAT:\t30 Frame").replace(
        "SESSION START TIMECODE:\t00:59:50:00\n", "")
    edit = read_edit_list(_write(tmp_path, "old.txt", text))
    assert edit.rate.name == "30" and edit.sequence_start == 0
    assert not any(c.name.startswith("(") for c in edit.clips())


def test_protools_text_in_samples(tmp_path: Path) -> None:
    text = PROTOOLS_TEXT.replace("01:00:04:00   \t01:00:24:00", "480000\t1440000")
    plan = _plan(_write(tmp_path, "samples.txt", text))
    # 480,000 samples at 48 kHz = 10 s = 250 frames from the session start (00:59:50:00).
    assert _cues(plan)[0] == ("Dawn", 250, 750)


# --- rules -------------------------------------------------------------------------------------

def _clip(track: str, name: str, a: int, b: int, **kw) -> EditClip:  # type: ignore[no-untyped-def]
    return EditClip(track, name, a, b, **kw)


def test_catalogue_code_patterns_are_editable_data() -> None:
    rules = MusicRules()
    code = rules.catalogue_code("mx_BMGPM_IATS021_5_Rise_Full")
    assert (code.library, code.catalogue, code.track) == ("BMGPM", "IATS021", "5")
    assert rules.catalogue_code("APM_ABC123_01") is not None
    assert rules.catalogue_code("Interview_take_12") is None
    custom = MusicRules.from_dict({"patterns": [
        {"label": "House library", "regex": r"(?P<library>HL)-(?P<catalogue>\d{4})-(?P<track>\d+)"}]})
    assert custom.catalogue_code("HL-0042-7 Ocean").catalogue == "0042"
    assert custom.catalogue_code("APM_ABC123_01") is None  # the list replaced the defaults
    assert MusicRules.from_dict(custom.to_dict()).patterns == custom.patterns
    with pytest.raises(RulesError, match="not usable"):
        MusicRules.from_dict({"patterns": [{"label": "broken", "regex": "(?P<library>"}]})


def test_exclusions_win_over_music_only_and_track_words_and_majority() -> None:
    edit = EditList("OTIO", "x", R25, 0, tracks=[
        EditTrack("A1 MX", clips=[_clip("A1 MX", "VO_line 3", 0, 10), _clip("A1 MX", "cue 1", 10, 20)]),
        EditTrack("SFX 2", clips=[_clip("SFX 2", "APM_ABC123_01", 0, 10)]),
        EditTrack("A3", named=False, clips=[_clip("A3", "APM_ABC123_02", 0, 10), _clip("A3", "APM_ABC123_03", 10, 20),
                                            _clip("A3", "unknown", 20, 30)]),
        EditTrack("A4", named=False, clips=[_clip("A4", "APM_ABC123_02", 0, 10), _clip("A4", "x", 10, 20),
                                            _clip("A4", "y", 20, 30)]),
    ])
    got = {(d.clip.track, d.clip.name): d for d in decide(edit, MusicRules(music_only=False))}
    assert not got[("A1 MX", "VO_line 3")].music
    assert got[("A1 MX", "cue 1")].music and "music track" in got[("A1 MX", "cue 1")].rule
    assert not got[("SFX 2", "APM_ABC123_01")].music  # an effects track is never a cue
    assert got[("A3", "unknown")].music and "track names lost" in got[("A3", "unknown")].rule
    assert not got[("A4", "x")].music  # one in three resolves: not a music track
    everything = {(d.clip.track, d.clip.name): d.music for d in decide(edit, MusicRules(music_only=True))}
    assert everything[("A4", "x")] and not everything[("A1 MX", "VO_line 3")]


def test_merge_carves_a_piece_playing_under_another() -> None:
    edit = EditList("OTIO", "x", R25, 0, tracks=[
        EditTrack("MX 1", clips=[_clip("MX 1", "Score", 0, 1000)]),
        EditTrack("MX 2", clips=[_clip("MX 2", "Radio Song", 300, 500)]),
    ])
    decisions = decide(edit, MusicRules())
    cues = merge_clips(decisions, time_mapping(edit, R25), 0)
    assert [(c.title, c.start, c.end) for c in cues] == [("Score", 0, 300), ("Radio Song", 300, 500),
                                                         ("Score", 500, 1000)]
    assert sum(c.end - c.start for c in cues) == 1000


def test_not_an_edit_list_and_xml_that_is_not_fcp(tmp_path: Path) -> None:
    with pytest.raises(EditListError, match="not an edit list"):
        read_edit_list(_write(tmp_path, "notes.txt", "Shopping list\nmilk\neggs\n"))
    with pytest.raises(EditListError, match="not Final Cut Pro XML"):
        read_edit_list(_write(tmp_path, "feed.xml", "<?xml version='1.0'?><rss><channel/></rss>"))
    with pytest.raises(EditListError, match="not an edit list"):
        read_edit_list(_write(tmp_path, "empty.edl", "  \n"))
    binary = tmp_path / "song.wav"
    binary.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(64))
    with pytest.raises(EditListError, match="not an edit list"):
        read_edit_list(binary)
    with pytest.raises(EditListError, match="not an edit list"):
        read_edit_list(_write(tmp_path, "nothing.edl", "TITLE: EMPTY\nFCM: NON-DROP FRAME\n"))


def test_applying_an_edit_to_an_identified_sheet_checks_it_against_the_audio(tmp_path: Path) -> None:
    from cuesheet_app.domain.model import Cue, CueSheet, Provenance
    from cuesheet_app.domain.validation import validate
    from cuesheet_app.services.edit_import import sheet_from_edit
    from cuesheet_app.settings.store import Settings

    sheet = CueSheet()
    sheet.header.program_start = "01:00:00:00"
    heard = [Cue(title="Rise", start=470, end=750, library="BMGPM", catalogue_number="IATS021", track_number="5",
                 provenance=Provenance(engine="local", identification_confidence=0.9)),
             Cue(title="Unlisted", start=950, end=1000, provenance=Provenance(engine="local"))]
    sheet.cues = [h.copy() for h in heard]
    plan = _plan(_write(tmp_path, "ep.edl", EDL_NDF), rate=R25)
    out = sheet_from_edit(plan, Settings(), sheet)
    flags = {c.title: c.flags for c in out.cues}
    assert "edit-silent" in flags["Dawn"] and "edit-silent" in flags["Song of the Sea"]
    assert flags["Rise"] == ["rights-needed"] and flags["Unlisted"] == ["not-in-edit"]
    assert next(c for c in out.cues if c.title == "Rise").provenance.identification_confidence == 0.9
    assert {"edit-silent", "not-in-edit"} <= {f.code for f in validate(out)}


def test_packaging_bundles_the_otio_adapter_sources() -> None:
    """OTIO loads adapters from the .py file its manifest names (found through entry points), so
    the frozen build must carry those sources and the packages' metadata (a build without them
    read .otio but failed on FCP XML, FCPXML and AAF)."""
    import json as _json
    from importlib import metadata

    spec = (Path(__file__).resolve().parents[1] / "packaging" / "cuesheet.spec").read_text(encoding="utf-8")
    assert 'collect_data_files(_module, include_py_files=True) + copy_metadata(_dist)' in spec
    plugins = {ep.name: ep.value for ep in metadata.entry_points(group="opentimelineio.plugins")}
    for dist, module in (("otio-fcp-adapter", "otio_fcp_adapter"), ("otio-fcpx-xml-adapter", "otio_fcpx_xml_adapter"),
                         ("otio-aaf-adapter", "otio_aaf_adapter"), ("otio-cmx3600-adapter", "otio_cmx3600_adapter")):
        assert f'"{dist}": "{module}"' in spec
        assert module in plugins.values()
    import otio_fcp_adapter

    manifest = Path(otio_fcp_adapter.__file__).parent / "plugin_manifest.json"
    for adapter in _json.loads(manifest.read_text())["adapters"]:
        assert (manifest.parent / adapter["filepath"]).is_file()
