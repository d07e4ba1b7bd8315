"""Where identified spans meet: one cue per stretch of one track, one shared boundary between two.

Why: the matcher reports one match per (track, offset), and edge refinement (edges.py) moves
each match's edges on its own. Two things then cost a music supervisor an edit that the
engine can settle from what it already knows:

* **The same track twice in a row.** Music repeats: a bar or a section that comes back makes
  a second (track, offset) agree with the same stretch of the episode, and its span lands
  next to (or over) the true one. A cue sheet lists a track played without a break as one cue,
  so two spans of one track that touch are one span. Under dialogue the landmarks of one
  excerpt can also fall silent for a few seconds and come back at the *same* offset: the
  reference played on through the gap, so those spans are one span too.
* **A scrap of unidentified music beside a track.** Detection often starts a second or three
  before the first agreeing landmark (a fade-in, a quiet opening under speech) or runs on
  for a moment after the last; up to ``join_piece_s`` of it beside an identified span is
  that span's ragged edge, not a cue of its own (the benchmark's shortest cue is 5 s): it
  joins the span when the reference's peaks allow (its loose edge), and is dropped
  otherwise. Listed as its own event it cost the supervisor a delete or a merge.
* **Music that comes in after no music is found late.** Detection smooths its scores before
  its thresholds, so an unidentified piece after speech, noise or silence started a median
  0.45 s late (1.2 s after a fade-in) on the tune split. Its start moves back to the level
  step up within ``onset_reach_s`` (``onset_before``), never into the music before it.
* **Music before no music is let go early.** The same smoothing ends an unidentified piece
  early (median 0.5 s on the tune split); its end may move to the level step down within
  ``offset_reach_s`` (``offset_after``), never into the music after it.
* **A sliver between two tracks.** Over a crossfade, or under dialogue, each track's
  reference peaks stop being found a little before the other's start, and detection sees
  music throughout. A short stretch of detected music left between two identified spans is
  no cue of its own (the benchmark's shortest cue is 6 s, a broadcast cue seldom shorter): the
  boundary is its midpoint, the same convention as a crossfade's (docs/local-engine.md) and
  as two overlapping spans' (engine.py splits an overlap at its middle).

Spans are the engine's ``[start, end, match, loose_start, loose_end]`` lists (frames), sorted
by start; matches need ``track_id`` and ``hits``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BoundaryParams:
    same_track_gap_s: float = 1.0  # two spans of one track this close are one cue
    played_on_s: float = 15.0  # ... and this far apart when their offsets agree (masked, not stopped)
    same_offset_s: float = 0.2  # offsets this close agree
    sliver_s: float = 4.0  # detected music at most this long between two spans is split between them
    sliver_music: float = 0.5  # share of the sliver detection must call music
    # unidentified music shorter than this beside an identified span is a sliver of it: it joins
    # the span where the reference's peaks allow, else it is dropped (tune split of
    # edits_per_cue.py: 2.5 / 3 / 4 / 5 s gave 5.19 / 5.06 / 5.06 / 5.13 per 10 cues, from 5.25)
    join_piece_s: float = 3.0
    # an unidentified piece after no music may start this much earlier ... (tune split: 1 / 1.5 /
    # 2 / 3 s gave 4.94 / 4.94 / 4.81 / 4.81 per 10 cues from 5.00; held out 5.40 either way)
    onset_reach_s: float = 2.0
    onset_lead_s: float = 1.0  # (the step is fitted up to this far after detection's start)
    onset_step: float = 1.4  # ... at a level step up of at least this (log energy; 1.4 ~ 6 dB)
    # an unidentified piece before no music may end this much later, at the level step down
    # (the same fit and step as the onset's, mirrored; tune01-04 of edits_per_cue.py: 1 / 1.5 /
    # 2 / 3 / 4 s gave 6.71 / 6.58 / 6.46 / 6.58 / 6.46 per 10 cues from 6.71); 0: off
    offset_reach_s: float = 2.0


def join_same_track(spans: list[list[Any]], gap: int, played_on: int, same_offset: float) -> list[list[Any]]:
    """Consecutive spans of one track become one span when at most ``gap`` frames apart (or
    overlapping), or at most ``played_on`` frames apart with offsets within ``same_offset``
    frames of each other: the offset model says the reference played on through the gap (the
    music was masked there, not stopped). The span with more agreeing landmarks keeps its match."""
    out: list[list[Any]] = []
    for span in spans:
        prev = out[-1] if out else None
        if prev is None or prev[2].track_id != span[2].track_id:
            out.append(span)
            continue
        apart = span[0] - prev[1]
        aligned = abs(prev[2].to_reference(span[0]) - span[2].to_reference(span[0])) <= same_offset
        if apart > gap and not (aligned and apart <= played_on):
            out.append(span)
            continue
        strong = prev if prev[2].hits >= span[2].hits else span
        out[-1] = [min(prev[0], span[0]), max(prev[1], span[1]), strong[2],
                   min(prev[3], span[3]), max(prev[4], span[4])]
    return out


def close_slivers(spans: list[list[Any]], music: np.ndarray, shortest: int, longest: int,
                  share: float) -> None:
    """Two neighbouring spans with ``shortest``..``longest`` frames between them, mostly music by
    ``music`` (a per-frame boolean), meet at the gap's midpoint. In place; spans must not overlap.
    (Shorter gaps are the engine's: a sliver joins the span whose reference peaks allow it.)"""
    for left, right in zip(spans, spans[1:], strict=False):
        gap = right[0] - left[1]
        if gap < max(1, shortest) or gap > longest:
            continue
        if music[left[1]:right[0]].mean() < share:
            continue
        cut = (left[1] + right[0]) // 2
        # ... but neither span past where its reference's peaks say its music stops (its loose
        # edge): over a crossfade both references reach into the gap, over a pause neither does
        left[1] = max(left[1], min(cut, left[4]))
        right[0] = min(right[0], max(cut, right[3]))


def music_mask(segments: list[Any], n_frames: int) -> np.ndarray:
    """Per-frame: inside a detected music segment."""
    mask = np.zeros(n_frames, bool)
    for seg in segments:
        mask[max(0, seg.start_frame):min(n_frames, seg.end_frame)] = True
    return mask


def onset_before(level: np.ndarray, start: int, reach: int, lead: int, min_step: float) -> int:
    """Where music that detection starts at block ``start`` (after no music) really comes in:
    the best step up in ``level`` (per-block log energy) in [start - reach, start + lead], fitted
    as a piecewise-constant floor-then-music (least squares), when the step is at least
    ``min_step``; otherwise ``start``. Never later than ``start``.

    Why: detection smooths its frame scores over a second or two before its hysteresis
    thresholds, so a piece that comes in after speech, noise or silence is found late (on the
    tune split of edits_per_cue.py a median 0.45 s after a cold start and 1.2 s after a
    1.5 s fade-in). The level rises where the music comes in (for a fade-in, within the
    first few tenths of a second: the log of a linear ramp rises fastest at its start)."""
    lo, hi = max(0, start - reach), min(level.size, start + lead + 1)
    x = level[lo:hi].astype(np.float64)
    if x.size < 4:
        return start
    c, c2 = np.cumsum(x), np.cumsum(x * x)
    n = x.size
    k = np.arange(1, n)  # first k blocks floor, the rest music
    left_sse = c2[k - 1] - c[k - 1] ** 2 / k
    right_sum, right_sq = c[-1] - c[k - 1], c2[-1] - c2[k - 1]
    right_sse = right_sq - right_sum ** 2 / (n - k)
    best = int(np.argmin(left_sse + right_sse))
    step = right_sum[best] / (n - k[best]) - c[k[best] - 1] / k[best]
    if step < min_step:
        return start
    return min(start, lo + int(k[best]))


def offset_after(level: np.ndarray, end: int, reach: int, lead: int, min_step: float) -> int:
    """Where music that detection ends at block ``end`` (before no music) really stops: the
    best step down in ``level`` in [end - lead, end + reach], fitted as music-then-floor (the
    onset's fit, mirrored), when the step is at least ``min_step``; otherwise ``end``. Never
    earlier than ``end``.

    Why: the same smoothing that makes detection find music late makes it let go early (tune
    split of edits_per_cue.py: unidentified pieces before no music ended a median 0.5 s early,
    1.4-3.9 s where the music faded out or was quiet under dialogue)."""
    n = level.size
    if n == 0:
        return end
    mirrored = onset_before(level[::-1], n - min(end, n), reach, lead, min_step)
    return max(end, n - mirrored)
