"""The local engine end to end on generated audio: detection, identification, event JSON."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.domain.events import parse_events, parse_events_json
from cuesheet_app.identify.base import Cancelled, CancelToken, IdentifyRequest, Progress
from cuesheet_app.identify.local.engine import LocalEngine
from cuesheet_app.identify.local.library import Library
from cuesheet_app.identify.registry import create_engine
from cuesheet_app.services.projects import add_engine_results, new_sheet_for_media
from cuesheet_app.settings.store import Settings
from tests.audio_fixtures import espeak_available, silence, speech, write_wav
from tests.local_media import mix, synth_music

RATE = 22050
needs_espeak = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("local-lib")
    refs = root / "refs"
    refs.mkdir()
    for i in range(4):
        write_wav(refs / f"track{i}.wav", synth_music(24.0, seed=i))
    sheet = root / "meta.csv"
    with open(sheet, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "title", "artists", "library", "catalogue_number", "track_number",
                    "iswc", "isrc", "composers", "publishers"])
        w.writerow(["track1.wav", "Calm Sea", "Ann Arbor", "Seaside Library", "SSL 012", "3",
                    "T-034.524.680-1", "GB-ABC-21-00001", "Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] 50%",
                    "Sea Publishing [ASCAP] 100%"])
    Library(root / "lib").add([refs], metadata=sheet, workers=1)
    return root / "lib"


def _identify(library: Path, episode: Path, **kw) -> tuple:
    engine = LocalEngine(library)
    seen: list[Progress] = []
    doc = engine.identify(IdentifyRequest(media_path=episode), progress=seen.append, **kw)
    return doc, seen


@needs_espeak
def test_excerpt_under_speech_is_identified_with_rights(tmp_path: Path, library: Path) -> None:
    talk = speech(tmp_path / "talk", "Good evening. Tonight we walk along the coast and talk to the "
                  "people who live by the sea, and we hear how the weather shapes their lives. " * 2)
    episode = np.concatenate([
        talk[: 4 * RATE] * 0.5,                                        # 0-4 speech
        mix(synth_music(24.0, seed=1)[5 * RATE:17 * RATE], talk[4 * RATE:16 * RATE], 0.0),  # 4-16
        silence(2.0),                                                  # 16-18
        synth_music(10.0, seed=99) * 0.8,                              # 18-28 not in the library
        silence(2.0),
    ])
    path = write_wav(tmp_path / "episode.wav", episode)
    doc, seen = _identify(library, path)
    identified = [e for e in doc.events if e.music_identified]
    assert len(identified) == 1
    ev = identified[0]
    assert ev.title == "Calm Sea" and ev.artists == ["Ann Arbor"] and ev.isrc == "GBABC2100001"
    assert abs(float(ev.start) - 4.0) < 1.5 and abs(float(ev.end) - 16.0) < 3.0
    assert abs(ev.extra["track_offset_s"] - (5.0 + float(ev.start) - 4.0)) < 0.2
    assert ev.extra["catalogue_number"] == "SSL 012" and ev.extra["library"] == "Seaside Library"
    assert ev.extra["composers"].startswith("Jane Doe [ASCAP]")
    assert 0 < ev.identification_confidence <= 1
    # the non-library music is detected but not identified
    others = [e for e in doc.events if not e.music_identified]
    assert any(float(e.start) < 20 and float(e.end) > 26 for e in others)
    assert all(e.detection_confidence is not None and 0 <= e.detection_confidence <= 1 for e in doc.events)
    # events are time ordered, never overlap, and are exactly the foundation's schema
    starts = [e.start for e in doc.events]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(doc.events, doc.events[1:], strict=False))
    again = parse_events_json(doc.to_json(), "local")
    assert [(e.start, e.end, e.title) for e in again.events] == [(e.start, e.end, e.title) for e in doc.events]
    phases = [p.phase for p in seen]
    assert phases[0] == "Decoding and detecting" and "Identifying" in phases
    # rights flow into the cue's parties through the foundation's conversion
    sheet = new_sheet_for_media(path, Settings())
    add_engine_results(sheet, doc, "local", Settings())
    cue = next(c for c in sheet.cues if c.identified)
    assert cue.catalogue_number == "SSL 012" and cue.iswc
    assert sorted(p.role for p in cue.parties) == ["C", "C", "E"]


def test_non_library_music_and_speech_give_no_identification(tmp_path: Path, library: Path) -> None:
    episode = np.concatenate([silence(1.0), synth_music(15.0, seed=42) * 0.7, silence(1.0),
                              np.random.default_rng(1).normal(0, 0.05, 6 * RATE)])
    doc, _ = _identify(library, write_wav(tmp_path / "other.wav", episode))
    assert not any(e.music_identified for e in doc.events)
    music = [e for e in doc.events if e.music_detected]
    assert len(music) == 1 and float(music[0].start) < 2.5 and float(music[0].end) > 14.0
    parse_events(doc.to_dict())


def test_noise_and_silence_give_no_events(tmp_path: Path, library: Path) -> None:
    rng = np.random.default_rng(5)
    episode = np.concatenate([silence(3.0), rng.normal(0, 0.1, 8 * RATE), silence(3.0)])
    doc, _ = _identify(library, write_wav(tmp_path / "noise.wav", episode))
    assert doc.events == []


def test_clean_excerpts_of_two_tracks_back_to_back(tmp_path: Path, library: Path) -> None:
    a = synth_music(24.0, seed=2)[2 * RATE:12 * RATE]
    b = synth_music(24.0, seed=3)[10 * RATE:20 * RATE]
    doc, _ = _identify(library, write_wav(tmp_path / "two.wav", np.concatenate([a, b])))
    ids = [e for e in doc.events if e.music_identified]
    assert [e.title for e in ids] == ["track2", "track3"]
    assert abs(float(ids[0].start)) < 0.6 and abs(float(ids[1].end) - 20.0) < 0.6
    assert abs(float(ids[0].end) - 10.0) < 0.6 and abs(float(ids[1].start) - 10.0) < 0.6


def test_cancel_and_empty_library(tmp_path: Path, library: Path) -> None:
    path = write_wav(tmp_path / "c.wav", synth_music(12.0, seed=1))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        _identify(library, path, cancel=token)
    engine = create_engine("local", Settings(), library_dir=tmp_path / "no-library-yet")
    doc = engine.identify(IdentifyRequest(media_path=path))
    assert doc.events and not any(e.music_identified for e in doc.events)
    assert doc.extra["library_tracks"] == 0 and "local" in engine.describe().lower()


def test_shipped_detector_model_matches_the_features_and_fallback_works(tmp_path: Path) -> None:
    from cuesheet_app.identify.local.classifier import load_classifier
    from cuesheet_app.identify.local.detect import FEATURES, DetectParams, MusicDetector
    from cuesheet_app.identify.local.spectro import spectrogram_chunks
    from cuesheet_app.media.decode import decode_all

    model = load_classifier()
    assert model is not None and set(model.features) <= set(FEATURES)
    assert load_classifier(tmp_path / "missing.json") is None
    signal = decode_all(write_wav(tmp_path / "m.wav", np.concatenate([silence(3.0), synth_music(10.0, seed=8)])))
    for use in (True, False):
        det = MusicDetector(DetectParams(), use_classifier=use)
        for chunk in spectrogram_chunks([signal]):
            det.add(chunk)
        segs = det.segments()
        assert len(segs) == 1 and 2.0 < segs[0].start_s < 4.5 and segs[0].end_s > 12.0


def test_small_libraries_get_denser_episode_landmarks() -> None:
    from cuesheet_app.identify.local.landmarks import (
        DENSE_QUERY_MAX_POSTINGS,
        QUERY,
        QUERY_DENSE,
        query_params_for,
    )

    assert query_params_for(0) is QUERY_DENSE
    assert query_params_for(DENSE_QUERY_MAX_POSTINGS) is QUERY_DENSE
    assert query_params_for(DENSE_QUERY_MAX_POSTINGS + 1) is QUERY
    assert QUERY_DENSE.per_frame * QUERY_DENSE.fan_out > QUERY.per_frame * QUERY.fan_out
