"""``cuesheet identify EPISODE --edit-list FILE``: the edit times the cues, the audio confirms them,
and every disagreement is a finding (another track, music no clip names, a clip silent in the mix)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.domain.validation import validate
from cuesheet_app.identify.local.library import Library
from cuesheet_app.storage import project_file
from tests.audio_fixtures import silence, write_wav
from tests.cli_helpers import run_cli
from tests.local_media import synth_music

RATE = 22050

EDL = """TITLE: EP7
FCM: NON-DROP FRAME
001  AX  A  C  00:00:02:00 00:00:12:00 01:00:00:00 01:00:10:00
* FROM CLIP NAME: track2.wav
* SOURCE FILE: /music/track2.wav
002  AX  A  C  00:00:10:00 00:00:20:00 01:00:12:00 01:00:22:00
* FROM CLIP NAME: track1.wav
003  AX  A2 C  00:00:00:00 00:00:06:00 01:00:24:00 01:00:30:00
* FROM CLIP NAME: Temp Song.wav
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("edit-lib")
    refs = root / "refs"
    refs.mkdir()
    for i in range(4):
        write_wav(refs / f"track{i}.wav", synth_music(24.0, seed=i))
    Library(root / "lib").add([refs], workers=1)
    return root / "lib"


def test_identify_with_edit_list_confirms_and_reports_disagreements(tmp_path: Path, library: Path) -> None:
    # The mix: track2 0-10 s (as edited), track3 12-22 s (the edit says track1), silence where the
    # edit has "Temp Song" (24-30 s, mixed out), and track0 30-40 s that no clip names.
    mix = np.concatenate([
        synth_music(24.0, seed=2)[2 * RATE:12 * RATE], silence(2.0),
        synth_music(24.0, seed=3)[10 * RATE:20 * RATE], silence(8.0),
        synth_music(24.0, seed=0)[4 * RATE:14 * RATE],
    ])
    episode = write_wav(tmp_path / "ep7.wav", mix)
    edl = tmp_path / "ep7.edl"
    edl.write_text(EDL, encoding="utf-8")
    out = tmp_path / "ep7.cuesheet"
    r = run_cli("identify", str(episode), "--library", str(library), "--edit-list", str(edl), "-o", str(out),
                "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["results"][0]["project"] == str(out)
    sheet = project_file.load(out)
    by_title = {c.title: c for c in sheet.cues}
    # Edited cues keep the edit's frame-exact times (25 fps, sequence start = first frame).
    agreed = by_title["track2"]
    assert (agreed.start, agreed.end) == (0, 250) and agreed.flags == []
    assert agreed.provenance.identification_confidence is not None  # confirmed by the audio
    other = next(c for c in sheet.cues if "edit-other-track" in c.flags)
    assert (other.start, other.end) == (300, 550) and "track3" in other.notes
    silent = next(c for c in sheet.cues if "edit-silent" in c.flags)
    assert (silent.start, silent.end) == (600, 750)
    extra = next(c for c in sheet.cues if "not-in-edit" in c.flags)
    assert extra.title == "track0" and abs(extra.start - 750) <= 25 and abs(extra.end - 1000) <= 25
    codes = {f.code for f in validate(sheet)}
    assert {"edit-other-track", "edit-silent", "not-in-edit"} <= codes
    findings = [f for f in validate(sheet) if f.code in ("edit-other-track", "edit-silent", "not-in-edit")]
    assert all(f.cue_id for f in findings)  # each one selects its cue in Problems


def test_identify_with_a_bad_edit_list_stops_before_the_audio(tmp_path: Path, library: Path) -> None:
    episode = write_wav(tmp_path / "ep.wav", silence(5.0))
    bad = tmp_path / "bad.edl"
    bad.write_text("TITLE: X\n001  AX  A  C  00:00:00:00 00:00:01:00\n", encoding="utf-8")
    out = tmp_path / "never.cuesheet"
    r = run_cli("identify", str(episode), "--library", str(library), "--edit-list", str(bad), "-o", str(out))
    assert r.returncode == 2 and "line 2: event 001 is truncated or malformed" in r.stderr
    assert not out.exists()
