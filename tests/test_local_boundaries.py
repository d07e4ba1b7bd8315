"""Where identified spans meet (boundaries.py): one span per stretch of one track, and a short
stretch of music between two tracks split at its middle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.identify.base import IdentifyRequest
from cuesheet_app.identify.local.boundaries import (
    close_slivers,
    join_same_track,
    music_mask,
    offset_after,
    onset_before,
)
from cuesheet_app.identify.local.changepoints import N_BANDS
from cuesheet_app.identify.local.detect import Segment
from cuesheet_app.identify.local.edges import Edges, EpisodePeaks, shared_boundary
from cuesheet_app.identify.local.engine import LocalEngine
from cuesheet_app.identify.local.library import Library, TrackRecord
from cuesheet_app.identify.local.matcher import TrackMatch
from cuesheet_app.identify.local.spectro import FRAME_S
from tests.audio_fixtures import silence, write_wav
from tests.local_media import synth_music

RATE = 22050


@dataclass
class Match:
    track_id: int
    hits: int
    offset_frames: float

    def to_reference(self, frame: float) -> float:
        return self.offset_frames + frame


def span(start: int, end: int, track: int, hits: int, offset: float) -> list:
    return [start, end, Match(track, hits, offset), start - 20, end + 20]


def test_touching_spans_of_one_track_become_one_with_the_stronger_match() -> None:
    spans = [span(0, 400, 1, 50, 1000.0), span(410, 900, 1, 300, 5000.0), span(900, 1300, 2, 80, 0.0)]
    out = join_same_track(spans, gap=43, played_on=650, same_offset=9.0)
    assert [(s[0], s[1], s[2].track_id) for s in out] == [(0, 900, 1), (900, 1300, 2)]
    assert out[0][2].hits == 300  # the stronger match names the merged span


def test_one_track_played_on_through_a_gap_at_the_same_offset() -> None:
    same = [span(0, 400, 1, 50, 1000.0), span(800, 1200, 1, 60, 1003.0)]
    assert len(join_same_track(same, gap=43, played_on=650, same_offset=9.0)) == 1
    # another offset of the same track (a repeat elsewhere in it) that far apart: two cues
    other = [span(0, 400, 1, 50, 1000.0), span(800, 1200, 1, 60, 1500.0)]
    assert len(join_same_track(other, gap=43, played_on=650, same_offset=9.0)) == 2
    # too far apart even at the same offset
    far = [span(0, 400, 1, 50, 1000.0), span(1100, 1500, 1, 60, 1000.0)]
    assert len(join_same_track(far, gap=43, played_on=650, same_offset=9.0)) == 2


def test_sliver_of_music_between_two_tracks_is_split_at_its_middle() -> None:
    spans = [span(0, 400, 1, 50, 0.0), span(500, 900, 2, 50, 0.0), span(1200, 1500, 3, 50, 0.0)]
    spans[0][4], spans[1][3] = 480, 420  # both references are found into the gap (a crossfade)
    music = music_mask([Segment(0, 1000, 0.9), Segment(1000, 1500, 0.9)], 1500)
    close_slivers(spans, music, shortest=86, longest=172, share=0.5)
    assert spans[0][1] == spans[1][0] == 450
    assert spans[1][1] == 900 and spans[2][0] == 1200  # 300 frames apart: a gap left alone


def test_sliver_goes_no_further_than_where_each_reference_is_found() -> None:
    """A pause between two cues that detection calls music (speech, a reverb tail) is not given
    to the cues: each stops where its reference's peaks stop being found (its loose edge)."""
    spans = [span(0, 400, 1, 50, 0.0), span(500, 900, 2, 50, 0.0)]  # loose edges 20 frames out
    close_slivers(spans, music_mask([Segment(0, 900, 0.9)], 900), shortest=86, longest=172, share=0.5)
    assert spans[0][1] == 420 and spans[1][0] == 480
    # one reference reaches the middle, the other does not
    spans = [span(0, 400, 1, 50, 0.0), span(500, 900, 2, 50, 0.0)]
    spans[0][4] = 470
    close_slivers(spans, music_mask([Segment(0, 900, 0.9)], 900), shortest=86, longest=172, share=0.5)
    assert spans[0][1] == 450 and spans[1][0] == 480
    # no music between: the spans keep their edges
    quiet = [span(0, 400, 1, 50, 0.0), span(500, 900, 2, 50, 0.0)]
    close_slivers(quiet, music_mask([Segment(0, 400, 0.9), Segment(500, 900, 0.9)], 900), 86, 172, 0.5)
    assert quiet[0][1] == 400 and quiet[1][0] == 500
    assert np.array_equal(music_mask([], 10), np.zeros(10, bool))


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bounds-lib")
    refs = root / "refs"
    refs.mkdir()
    for i in range(3):
        write_wav(refs / f"track{i}.wav", synth_music(30.0, seed=10 + i))
    Library(root / "lib").add([refs], workers=1)
    return root / "lib"


def _crossfaded_events(tmp_path: Path, library: Path, seconds: int) -> list:
    """The detected events of 16 s of track1 then 16 s of track2, linearly crossfaded over
    ``seconds`` at equal levels, with 1 s of silence either side."""
    a = synth_music(30.0, seed=11)[2 * RATE:18 * RATE]
    b = synth_music(30.0, seed=12)[5 * RATE:21 * RATE]
    xf = seconds * RATE
    ramp = np.linspace(0.0, 1.0, xf)
    mixed = np.concatenate([a[:-xf], a[-xf:] * ramp[::-1] + b[:xf] * ramp, b[xf:]])
    path = write_wav(tmp_path / f"xf{seconds}.wav", np.concatenate([silence(1.0), mixed, silence(1.0)]))
    return [e for e in LocalEngine(library).identify(IdentifyRequest(media_path=path)).events
            if e.music_detected]


def test_crossfade_between_two_library_tracks_meets_at_its_midpoint(tmp_path: Path, library: Path) -> None:
    """Two identified excerpts crossfaded over 2 s: two events that meet within 1 s of the
    crossfade's middle (each edge may run into the other's span to where its peaks stop;
    bounded by the other's match alone, they left 1.25 s between them)."""
    events = _crossfaded_events(tmp_path, library, 2)
    assert [e.title for e in events] == ["track1", "track2"], [(float(e.start), float(e.end)) for e in events]
    midpoint = 1.0 + 16.0 - 1.0  # the crossfade runs 15-17 s into the episode
    assert events[0].end == events[1].start
    assert abs(float(events[0].end) - midpoint) <= 1.0


def _record(track_id: int) -> TrackRecord:
    return TrackRecord(id=track_id, path=f"/lib/track{track_id}.ogg", size=1, mtime_ns=0,
                       duration_s=600.0, hashes=1000, metadata={"title": f"Track {track_id}"})


def _match(track_id: int, start: int, end: int) -> TrackMatch:
    return TrackMatch(track_id=track_id, offset_frames=0.0, start_frame=start, end_frame=end,
                      hits=400, confidence=0.9)


def _events(tmp_path: Path, matches: list, segments: list[Segment], n: int = 4000) -> list[tuple]:
    engine = LocalEngine(tmp_path / "lib")
    engine.change_params = None  # no change points: only the span/piece bookkeeping is tested
    scores = np.full(n, 0.9)
    events = engine._events(matches, segments, scores, {1: _record(1), 2: _record(2)}, n)
    return [(round(float(e.start) / FRAME_S), round(float(e.end) / FRAME_S), e.music_identified)
            for e in events]


def test_a_scrap_of_music_beside_an_identified_span_joins_it_or_goes(tmp_path: Path) -> None:
    """Detection starting 2.8 s before the first agreeing landmark gave a 2.8 s unidentified
    event before the named cue (minimum segment 2 s): one edit for nothing."""
    scrap = int(2.8 / FRAME_S)  # 120 frames
    m = _match(1, 1000, 2000)
    # the reference's peaks allow the span to start 3 s earlier: the scrap joins it
    out = _events(tmp_path, [(m, Edges(1000, 2000, 1000 - int(3 / FRAME_S), 2000))],
                  [Segment(1000 - scrap, 2000, 0.9)])
    assert out == [(1000 - scrap, 2000, True)]
    # they do not (the reference is quiet there, or plays something else): the scrap goes
    out = _events(tmp_path, [(m, Edges(1000, 2000, 990, 2000))], [Segment(1000 - scrap, 2000, 0.9)])
    assert out == [(1000, 2000, True)]
    # a longer stretch beside the span (5 s: a short cue) stays its own unidentified event
    longer = int(5 / FRAME_S)
    out = _events(tmp_path, [(m, Edges(1000, 2000, 990, 2000))], [Segment(1000 - longer, 2000, 0.9)])
    assert out == [(1000 - longer, 1000, False), (1000, 2000, True)]
    # away from any identified span a 2.8 s piece is still a cue (the minimum segment is 2 s)
    out = _events(tmp_path, [(m, Edges(1000, 2000, 990, 2000))],
                  [Segment(3000, 3000 + scrap, 0.9), Segment(1000, 2000, 0.9)])
    assert (3000, 3000 + scrap, False) in out


def test_a_long_crossfade_between_two_tracks_is_cut_where_both_references_agree(
        tmp_path: Path, library: Path) -> None:
    """A 4 s crossfade at equal levels: each edge refined on its own (and the overlap split at
    its middle) put the cut 1.6 s before the crossfade's middle; where both tracks' evidence
    cross (edges.shared_boundary) it is within 0.75 s."""
    events = _crossfaded_events(tmp_path, library, 4)
    assert [e.title for e in events] == ["track1", "track2"]
    midpoint = 1.0 + 16.0 - 2.0  # the crossfade runs 13-17 s into the episode
    assert events[0].end == events[1].start
    assert abs(float(events[0].end) - midpoint) <= 0.75, float(events[0].end) - midpoint


def test_shared_boundary_is_where_one_track_hands_over_to_the_other() -> None:
    """Left track's peaks found up to frame 1000, the right one's from there: the cut is there
    (to a cell of 0.25 s); with no predicted peaks on one side there is no opinion."""
    rng = np.random.default_rng(3)
    lf = np.sort(rng.choice(2000, 200, replace=False))
    rf = np.sort(rng.choice(np.arange(100, 2100), 200, replace=False))
    played = np.concatenate([lf[lf < 1000], rf[rf >= 1000]])
    bins = np.concatenate([np.full((lf < 1000).sum(), 40), np.full((rf >= 1000).sum(), 90)])
    ep = EpisodePeaks(played, bins)
    left, right = (lf, np.full(lf.size, 40), 0), (rf, np.full(rf.size, 90), 0)
    cut = shared_boundary(ep, left, right, 870, 1130, (400, 870), (1130, 1600))
    assert cut is not None and abs(cut - 1000) <= 11
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64), 0)
    assert shared_boundary(ep, left, none, 870, 1130, (400, 870), (1130, 1600)) is None


def test_music_after_no_music_starts_where_the_level_steps_up() -> None:
    """A 1.5 s linear fade-in from a floor 30 dB down, found by detection 1.2 s late: the
    start goes back to within 0.4 s of the fade's start; a flat level, or a step under
    ``min_step``, leaves it; it never moves later."""
    block_s = 4 * FRAME_S
    t = np.arange(400) * block_s
    amp = np.clip((t - 10.0) / 1.5, 0.0, 1.0)
    level = np.log(amp ** 2 + 10 ** -3.0)  # log power, floor at -30 dB
    late = int(round(11.2 / block_s))
    got = onset_before(level, late, reach=int(2 / block_s), lead=int(1 / block_s), min_step=1.4)
    assert 0 <= got * block_s - 10.0 <= 0.4, got * block_s
    assert onset_before(np.zeros(400), late, int(2 / block_s), int(1 / block_s), 1.4) == late
    small = np.where(t >= 10.0, 0.5, 0.0)  # ~2 dB: not a piece coming in
    assert onset_before(small, late, int(2 / block_s), int(1 / block_s), 1.4) == late
    early = int(round(9.0 / block_s))  # detection already before the rise: stays
    assert onset_before(level, early, int(2 / block_s), int(1 / block_s), 1.4) == early


def test_music_before_no_music_ends_where_the_level_steps_down() -> None:
    """The onset's mirror: a 1.5 s linear fade-out to a floor 30 dB down (music until 11.5 s),
    let go by detection 1.2 s early: the end moves to within 0.4 s of the fade's end; a flat
    level, or a step under ``min_step``, leaves it; it never moves earlier."""
    block_s = 4 * FRAME_S
    t = np.arange(400) * block_s
    amp = np.clip((11.5 - t) / 1.5, 0.0, 1.0)
    level = np.log(amp ** 2 + 10 ** -3.0)
    early = int(round(10.3 / block_s))
    got = offset_after(level, early, reach=int(2 / block_s), lead=int(1 / block_s), min_step=1.4)
    assert abs(got * block_s - 11.5) <= 0.4, got * block_s
    assert offset_after(np.zeros(400), early, int(2 / block_s), int(1 / block_s), 1.4) == early
    small = np.where(t < 11.5, 0.5, 0.0)  # ~2 dB: not the music stopping
    assert offset_after(small, early, int(2 / block_s), int(1 / block_s), 1.4) == early
    late = int(round(12.5 / block_s))  # detection already past the fall: stays
    assert offset_after(level, late, int(2 / block_s), int(1 / block_s), 1.4) == late


def test_unidentified_piece_after_no_music_starts_at_the_level_step(tmp_path: Path) -> None:
    """Engine wiring: the piece that starts a detected segment moves back to the step (the
    change-point features' level column)."""
    n = 4000
    blocks = n // 4
    feats = np.zeros((blocks, N_BANDS + 2), np.float32)
    feats[int(1000 / 4):, N_BANDS] = 3.0  # music comes in at frame 1000
    engine = LocalEngine(tmp_path / "lib")
    engine.change_params = None
    scores = np.full(n, 0.9)
    events = engine._events([], [Segment(1050, 2000, 0.9)], scores, {}, n,
                            (feats, np.zeros((blocks, 12), np.float32), np.zeros(n, np.float32)))
    assert [(round(float(e.start) / FRAME_S), round(float(e.end) / FRAME_S)) for e in events] == [(1000, 2000)]


def test_unidentified_piece_at_the_episode_end_does_not_end_after_it() -> None:
    """The change-point features count a last partial block as a block, so rounding an end up
    to a block boundary could put it past the episode's last frame: the end is kept inside it."""
    n_frames = 4 * 50 + 2  # not a whole number of blocks: 51 blocks, the last one partial
    feats = np.zeros((51, N_BANDS + 2), np.float32)
    feats[:, N_BANDS] = np.where(np.arange(51) < 49, 0.0, -8.0)  # a step down near the end
    segments = [Segment(0, n_frames, 0.9)]
    bounds = LocalEngine(Path("/nonexistent")).boundary_params
    assert bounds is not None
    got = LocalEngine._offsets([(0, n_frames)], [], segments, feats, bounds, n_frames)
    assert got == [(0, n_frames)]
    inside = LocalEngine._offsets([(0, 150)], [], [Segment(0, 150, 0.9)], feats, bounds, n_frames)
    assert inside[0][1] == 49 * 4  # a piece ending before the step still moves to it
