"""The local (offline) engine: decode once, detect music, identify library excerpts, emit events.

One streaming pass over the episode feeds two things from the same spectrogram chunks: the
music detector and the landmark collector (at two frame phases, half a hop apart, so the
episode's frame grid is never far off the reference tracks'). Identification then runs on
the collected landmarks against the memory-mapped library index, slice by slice.

Events follow the foundation's schema exactly: identified spans (``music_identified``) carry
the reference track's metadata, including the rights fields ``domain/conversion.py`` reads
(``iswc``, ``library``, ``catalogue_number``, ``track_number``, ``composers``,
``publishers``); detected music that matched nothing becomes unidentified events. Events
never overlap and come in time order.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from cuesheet_app import __version__
from cuesheet_app.domain.events import Event, EventsDocument
from cuesheet_app.identify.base import (
    CancelToken,
    IdentificationError,
    IdentifyRequest,
    Progress,
    ProgressCallback,
    ignore_progress,
)
from cuesheet_app.identify.local import speed_pass
from cuesheet_app.identify.local.boundaries import (
    BoundaryParams,
    close_slivers,
    join_same_track,
    music_mask,
    offset_after,
    onset_before,
)
from cuesheet_app.identify.local.changepoints import (
    BLOCK,
    BLOCK_S,
    IDENTITY_CHANGES,
    N_BANDS,
    STRONG_CHANGES,
    ChangeFeatures,
    ChangeParams,
    crossfade_boundary,
    novelty,
    pitch_classes,
    split_segment,
)
from cuesheet_app.identify.local.detect import DetectParams, MusicDetector, Segment
from cuesheet_app.identify.local.edges import (
    EdgeParams,
    Edges,
    EpisodePeaks,
    refine_edges,
    shared_boundary,
)
from cuesheet_app.identify.local.landmarks import (
    DT_MAX,
    PeakCollector,
    query_params_for,
    same_peaks,
)
from cuesheet_app.identify.local.library import Library, LibraryError, TrackRecord, UpgradeNeeded
from cuesheet_app.identify.local.matcher import MatchParams, TrackMatch, match_episode
from cuesheet_app.identify.local.repeats import RepeatParams, find_repeats, repeat_cuts
from cuesheet_app.identify.local.spectro import FRAME_S, HOP, ChunkedSpectrogram
from cuesheet_app.identify.local.speed_pass import speed_matches
from cuesheet_app.identify.local.triplets import QUERY as TRIPLET_QUERY
from cuesheet_app.identify.local.triplets import QUERY_PARTNERS, TripletCollector
from cuesheet_app.media.decode import ANALYSIS_RATE, DecodeStats, decode_blocks, open_audio
from cuesheet_app.settings.store import Settings

log = logging.getLogger(__name__)

ENGINE_VERSION = "1.0"
SNAP_S = 1.0  # a detected edge this far outside an identified edge widens it
RIGHTS_KEYS = ("iswc", "library", "catalogue_number", "track_number", "composers", "publishers")


def _seconds(frame: int) -> Fraction:
    """Frame -> seconds, rounded to the millisecond so the JSON stays readable."""
    return Fraction(round(frame * FRAME_S * 1000), 1000)


def _cut(a: int, b: int, cuts: list[int]) -> list[tuple[int, int]]:
    """[a, b) cut at ``cuts`` (sorted, inside it)."""
    edges = [a, *[c for c in cuts if a < c < b], b]
    return list(zip(edges[:-1], edges[1:], strict=True))


class LocalEngine:
    name = "local"

    def __init__(self, library_dir: Path, sensitivity: float = 0.5,
                 match_params: MatchParams | None = None, split_changes: bool | None = None,
                 repeat_cuts: bool = False, identity_changes: bool = False) -> None:
        self.library = Library(library_dir)
        self.detect_params = DetectParams(sensitivity=min(1.0, max(0.0, float(sensitivity))))
        self.match_params = match_params or MatchParams()
        self.edge_params: EdgeParams | None = EdgeParams()
        # Cutting unidentified music at its change points (changepoints.py): by default only
        # where the evidence is strong (STRONG_CHANGES); True: the eager setting tuned on the
        # tune split of benchmarks/edits_per_cue.py, which added edits held out (5.34 -> 5.47
        # per 10 cues; docs/local-engine.md); False: one event per leftover detected segment.
        self.change_params: ChangeParams | None = (
            STRONG_CHANGES if split_changes is None else ChangeParams() if split_changes else None)
        # identity_changes: cut where a piece-identity score (timbre, harmony and rhythm change
        # weighed by a logistic fitted on the tune split) says so instead (IDENTITY_CHANGES).
        # Off by default: on the edits benchmark it removed edits on the tune split (5.06 ->
        # 4.05) but added false cuts held out (5.78 -> 6.15; docs/local-engine.md)
        if identity_changes:
            self.change_params = IDENTITY_CHANGES
        # collect the piece-identity features while streaming (needed by identity_changes; the
        # benchmark turns it on to build that variant from the same run)
        self.identity_features = identity_changes
        # where identified spans meet (boundaries.py); None: each match its own event
        self.boundary_params: BoundaryParams | None = BoundaryParams()
        # unidentified music also cut where music the episode plays elsewhere too starts or stops
        # and the music changes there (repeats.py). Off by default: on the edits benchmark it
        # removed edits on the tune split but added false cuts held out (docs/local-engine.md)
        self.repeat_params: RepeatParams | None = RepeatParams() if repeat_cuts else None

    @classmethod
    def from_settings(cls, settings: Settings, library_dir: Path | None = None) -> LocalEngine:
        return cls(library_dir or settings.library_dir(), sensitivity=settings.detection_sensitivity)

    def describe(self) -> str:
        try:
            n = len(self.library.tracks())
        except LibraryError:
            n = 0
        return (f"Local engine {ENGINE_VERSION} (cuesheet {__version__}): landmark fingerprints, "
                f"continuous-frequency-activation detection; library {self.library.folder} ({n} tracks)")

    # ---------------------------------------------------------------------------------------
    def identify(self, request: IdentifyRequest, progress: ProgressCallback = ignore_progress,
                 cancel: CancelToken | None = None) -> EventsDocument:
        try:
            try:  # the index opened once: load_index says when it must be upgraded or rebuilt
                index = self.library.load_index()
            except UpgradeNeeded:
                self.library.upgrade(progress=progress, cancel=cancel)
                index = self.library.load_index()
            tracks = self.library.track_map()
            # the triplet index only when its pass is on: loading it checks (and would append)
            # every track's triplet postings, which a library need not hold while the pass is off
            triplet_index = self.library.load_triplet_index() if speed_pass.TRIPLET_PASS else None
        except LibraryError as exc:
            raise IdentificationError(str(exc)) from None
        source = open_audio(request.media_path, request.audio_stream)
        detector = MusicDetector(self.detect_params)
        phases = [ChunkedSpectrogram(), ChunkedSpectrogram(skip=HOP // 2)]
        query = query_params_for(index.size)
        collectors = [PeakCollector(query), PeakCollector(query)]
        changes = ChangeFeatures(identity=self.identity_features)
        fine = [TripletCollector(TRIPLET_QUERY, QUERY_PARTNERS) for _ in phases]
        shared = same_peaks(query, TRIPLET_QUERY)  # one peak search per chunk serves both
        stats = DecodeStats()
        expected = source.duration_s or 0.0
        progress(Progress("Decoding and detecting", 0.0 if expected else None))
        for block in decode_blocks(request.media_path, request.audio_stream, cancel=cancel, stats=stats):
            for i, (chunker, collector) in enumerate(zip(phases, collectors, strict=True)):
                for chunk in chunker.push(block):
                    peaks = collector.add(chunk)
                    fine[i].add(chunk, peaks if shared else None)
                    if i == 0:
                        detector.add(chunk)
                        changes.add(chunk)
            if expected:
                progress(Progress("Decoding and detecting", min(1.0, phases[0].samples_seen / ANALYSIS_RATE / expected)))
        for i, (chunker, collector) in enumerate(zip(phases, collectors, strict=True)):
            for chunk in chunker.finish():
                peaks = collector.add(chunk)
                fine[i].add(chunk, peaks if shared else None)
                if i == 0:
                    detector.add(chunk)
                    changes.add(chunk)
        if cancel is not None:
            cancel.raise_if_cancelled()
        scores = detector.frame_scores()
        segments = detector.segments(scores)
        matches: list[TrackMatch] = []
        if tracks:
            parts = [c.hashes() for c in collectors]
            hashes = np.concatenate([h for h, _ in parts])
            frames = np.concatenate([f for _, f in parts])
            order = np.argsort(frames, kind="stable")
            matches = match_episode(index, hashes[order], frames[order], self.match_params,
                                    progress=progress, cancel=cancel, threads=None)
            matches = [m for m in matches if m.track_id in tracks]
            # music the landmark pairs did not identify (or found drifting): speed-invariant triplets
            matches = [m for m in speed_matches(triplet_index, fine, segments, matches,
                                                self.match_params, cancel, index) if m.track_id in tracks]
        refined: list[tuple[TrackMatch, Edges | None]] = [(m, None) for m in matches]
        peak_frames, peak_bins = collectors[0].peaks()
        peaks = EpisodePeaks(peak_frames, peak_bins) if matches or self.repeat_params or self._by_repetition() else None
        if peaks is not None and self.edge_params is not None:
            refined = list(self._refine(matches, peaks, tracks, scores.size))
        progress(Progress("Building events", 1.0))
        n_frames = scores.size
        blocks = changes.blocks()
        chroma = pitch_classes(peak_frames, peak_bins, blocks.shape[0])
        events = self._events(refined, segments, scores, tracks, n_frames,
                              (blocks, chroma, changes.onsets(), changes.identity()), peaks=peaks)
        extra: dict[str, Any] = {
            "engine": self.name,
            "engine_version": ENGINE_VERSION,
            "library_tracks": len(tracks),
            "duration_s": round(n_frames * FRAME_S, 3),
        }
        if stats.warnings:
            extra["warnings"] = stats.warnings[:20]
        return EventsDocument(events=events, extra=extra)

    # ---------------------------------------------------------------------------------------
    def _refine(self, matches: list[TrackMatch], peaks: EpisodePeaks, tracks: dict[int, TrackRecord],
                n_frames: int) -> list[tuple[TrackMatch, Edges]]:
        """Each match's edges moved to where its reference's peaks stop being found in the
        episode (see edges.py); neighbouring matches bound the search."""
        params = self.edge_params or EdgeParams()
        out: list[tuple[TrackMatch, Edges]] = []
        ordered = sorted(matches, key=lambda m: m.start_frame)
        for i, m in enumerate(ordered):
            # a neighbouring match bounds the search, ``into_neighbour_s`` into it: over a
            # crossfade both pieces play, and each edge may run to where its own peaks stop
            # being found (the overlap is split at its middle when the events are built)
            into = int(round(params.into_neighbour_s / FRAME_S))
            lo = max(ordered[i - 1].end_frame - into, ordered[i - 1].start_frame) if i else 0
            hi = (min(ordered[i + 1].start_frame + into, ordered[i + 1].end_frame)
                  if i + 1 < len(ordered) else n_frames)
            lo = min(max(lo, int(np.ceil(m.to_episode(0)))), m.start_frame)
            hi = max(min(hi, int(m.to_episode(tracks[m.track_id].duration_s / FRAME_S))), m.end_frame)
            try:
                reach = int(round(max(params.reach_s, params.core_s) / FRAME_S)) + 1
                ref_f, ref_b, offset = self._reference(m, lo - reach, hi + reach)
            except LibraryError as exc:
                log.warning("%s", exc)
                out.append((m, Edges(m.start_frame, m.end_frame, lo, hi)))
                continue
            edges = refine_edges(peaks, ref_f, ref_b, offset, m.start_frame,
                                 m.end_frame, lo, hi, params)
            out.append((replace(m, start_frame=edges.start, end_frame=edges.end), edges))
        return out

    def _reference(self, m: TrackMatch, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, int]:
        """The reference's stored peaks that play in episode frames [lo, hi): (frames, bins,
        offset) with episode frame = reference frame - offset (raises LibraryError)."""
        ref_lo, ref_hi = m.to_reference(lo), m.to_reference(hi)
        if m.source == "pairs":
            ref_f, ref_b = self.library.reference_peaks(m.track_id, int(ref_lo), int(ref_hi))
            return ref_f, ref_b, int(round(m.offset_frames))
        # the reference's peaks where the episode plays them (time and pitch scaled)
        f, b = self.library.reference_triplet_peaks(m.track_id, ref_lo, ref_hi)
        key = np.unique(np.rint(m.to_episode(f)).astype(np.int64) * 512
                        + np.rint(b * m.pitch).astype(np.int64))
        return key // 512, key % 512, 0

    def _by_repetition(self) -> bool:
        """Whether the change points use the repetition signals (which need the episode's peaks)."""
        return self.change_params is not None and bool(self.change_params.repetition_windows_s)

    def _hand_over(self, spans: list[list[Any]], peaks: EpisodePeaks, music: np.ndarray,
                   longest_gap: int) -> set[int]:
        """Two identified spans that meet (or with at most ``longest_gap`` frames between them)
        share the boundary both references agree on (edges.shared_boundary): where the left
        track's evidence stops beating the right one's. In place; returns the indices of the
        left spans so placed."""
        params = self.edge_params or EdgeParams()
        reach = int(round(params.handover_s / FRAME_S))
        core = int(round(params.core_s / FRAME_S))
        placed: set[int] = set()
        for i, (left, right) in enumerate(zip(spans, spans[1:], strict=False)):
            if left[2].track_id == right[2].track_id or right[0] - left[1] > longest_gap \
                    or (right[0] > left[1] and not music[left[1]:right[0]].all()):
                continue  # (a gap with no music in it is a real gap)
            lo = max(left[0] + 1, min(left[1], right[0]) - reach)
            hi = min(right[1] - 1, max(left[1], right[0]) + reach)
            left_core, right_core = (max(left[0], lo - core), lo), (hi, min(right[1], hi + core))
            try:
                sides = [self._reference(m, a - DT_MAX, b + DT_MAX) for m, a, b in
                         ((left[2], left_core[0], hi), (right[2], lo, right_core[1]))]
            except LibraryError as exc:
                log.warning("%s", exc)
                continue
            cut = shared_boundary(peaks, sides[0], sides[1], lo, hi, left_core, right_core, params)
            if cut is None or not left[0] < cut < right[1]:
                continue
            left[1] = right[0] = cut
            left[4], right[3] = max(left[4], cut), min(right[3], cut)
            placed.add(i)
        return placed

    def _events(self, matches: list[tuple[TrackMatch, Edges | None]], segments: list[Segment],
                scores: np.ndarray, tracks: dict[int, TrackRecord], n_frames: int,
                change_features: tuple[np.ndarray, ...] | None = None,
                peaks: EpisodePeaks | None = None) -> list[Event]:
        snap = int(round(SNAP_S / FRAME_S))
        spans: list[list[Any]] = []  # [start, end, match, loose start, loose end]
        for m, edges in matches:
            record = tracks[m.track_id]
            start, end = m.start_frame, m.end_frame
            # the reference cannot start before its own first frame, nor run past its end
            earliest = max(0, int(np.ceil(m.to_episode(0))))
            latest = min(n_frames, int(m.to_episode(record.duration_s / FRAME_S)))
            # agreeing landmarks prove the music is there; detection may only widen the span
            # a little (the first and last landmarks can fall just inside the real edges), and
            # not past where the reference's peaks say the excerpt ends (edges.py)
            loose_start = max(earliest, edges.loose_start if edges else start - snap)
            loose_end = min(latest, edges.loose_end if edges else end + snap)
            for seg in segments:
                if seg.end_frame <= start or seg.start_frame >= end:
                    continue
                if 0 < start - seg.start_frame <= snap and seg.start_frame >= loose_start:
                    start = seg.start_frame
                if 0 < seg.end_frame - end <= snap and seg.end_frame <= loose_end:
                    end = seg.end_frame
            start, end = max(start, earliest), min(end, latest)
            if end > start:
                spans.append([start, end, m, loose_start, loose_end])
        spans.sort(key=lambda s: s[0])
        bounds = self.boundary_params
        if bounds is not None:  # one track played on: one span
            spans = join_same_track(spans, int(round(bounds.same_track_gap_s / FRAME_S)),
                                    int(round(bounds.played_on_s / FRAME_S)), bounds.same_offset_s / FRAME_S)
        # neighbours never overlap: split the difference
        for i in range(len(spans) - 1):
            a, b = spans[i], spans[i + 1]
            if a[1] > b[0]:
                cut = (max(a[0], b[0]) + min(a[1], b[1])) // 2
                a[1], b[0] = max(a[0] + 1, cut), max(cut, b[0])
                a[4], b[3] = min(a[4], b[0]), max(b[3], a[1])
        # detected music outside identified spans
        min_len = int(round(self.detect_params.min_segment_s / FRAME_S))
        placed: set[int] = set()
        if bounds is not None and peaks is not None and self.edge_params is not None \
                and self.edge_params.handover_s > 0:
            # where one identified track hands over to the next: both references decide
            placed = self._hand_over(spans, peaks, music_mask(segments, n_frames),
                                     int(round(bounds.sliver_s / FRAME_S)))
        if bounds is not None:  # a short stretch of music between two spans: split at its middle
            close_slivers(spans, music_mask(segments, n_frames), min_len,
                          int(round(bounds.sliver_s / FRAME_S)), bounds.sliver_music)
        pieces: list[tuple[int, int]] = []
        for seg in segments:
            parts = [(seg.start_frame, seg.end_frame)]
            for s, e, *_ in spans:
                nxt = []
                for a, b in parts:
                    if b <= s or a >= e:
                        nxt.append((a, b))
                        continue
                    if a < s:
                        nxt.append((a, s))
                    if b > e:
                        nxt.append((e, b))
                parts = nxt
            pieces.extend(parts)
        kept: list[tuple[int, int]] = []
        # a piece beside an identified span is a sliver up to ``join_piece_s`` (boundaries.py)
        beside_len = max(min_len, int(round(bounds.join_piece_s / FRAME_S))) if bounds is not None else min_len
        for a, b in pieces:
            beside = any(span[1] == a or span[0] == b for span in spans)
            if b - a >= (beside_len if beside else min_len):
                kept.append((a, b))
                continue
            # a sliver of detected music beside an identified span joins it when the
            # reference's peaks do not contradict that (within the span's loose edges);
            # otherwise it is dropped (a 2-3 s scrap of detected music beside a named cue is
            # the cue's own ragged edge, not a cue: listed, it is one more edit)
            for span in spans:
                if span[1] == a and b <= span[4]:
                    span[1] = b
                    break
                if span[0] == b and a >= span[3]:
                    span[0] = a
                    break
        if bounds is not None and bounds.onset_reach_s > 0 and change_features is not None:
            kept = self._onsets(kept, spans, segments, change_features[0], bounds)
        if bounds is not None and bounds.offset_reach_s > 0 and change_features is not None:
            kept = self._offsets(kept, spans, segments, change_features[0], bounds, n_frames)
        if self.repeat_params is not None and peaks is not None and kept and change_features is not None:
            # where music the episode plays elsewhere too starts or stops, and the music changes
            kept = self._repeat_cuts(kept, segments, n_frames, peaks, change_features)
        if self.change_params is not None and change_features is not None:
            # one piece following another inside what detection saw as one stretch of music
            feats, chroma, onsets = change_features[:3]
            ident = change_features[3] if len(change_features) > 3 else None  # (None: not collected)
            # the piece's own repeats (only for the repetition signals: unpacking every peak costs)
            own = peaks.frames_bins() if peaks is not None and self._by_repetition() else None
            kept = [part for a, b in kept
                    for part in split_segment(feats, chroma, a, b, self.change_params, onsets, ident, own)]
            if self.change_params.place_crossfades:
                kept = self._place_crossfades(spans, kept, feats, chroma, self.change_params, placed)
        events: list[Event] = [self._identified(s, e, m, tracks[m.track_id], scores)
                               for s, e, m, *_ in spans]
        for a, b in kept:
            events.append(Event(start=_seconds(a), end=_seconds(b), music_detected=True,
                                music_identified=False,
                                detection_confidence=round(float(scores[a:b].mean()), 3)))
        events.sort(key=lambda e: e.start)
        return events

    def _repeat_cuts(self, kept: list[tuple[int, int]], segments: list[Segment], n_frames: int,
                     peaks: EpisodePeaks, change_features: tuple[np.ndarray, ...]
                     ) -> list[tuple[int, int]]:
        """Unidentified pieces cut where a repeat of the episode's own music starts or ends and
        the music changes there (repeats.py)."""
        params = self.repeat_params or RepeatParams()
        feats, chroma = change_features[:2]
        repeats = find_repeats(*peaks.frames_bins(), music_mask(segments, n_frames), params)
        out: list[tuple[int, int]] = []
        change = self.change_params or ChangeParams()
        for a, b in kept:
            lo, hi = a // BLOCK, min(feats.shape[0], -(-b // BLOCK))
            nov = novelty(feats[lo:hi], chroma[lo:hi], change)
            out.extend(_cut(a, b, repeat_cuts(repeats, lo * BLOCK, b, nov, BLOCK, params)))
        return out

    @staticmethod
    def _onsets(kept: list[tuple[int, int]], spans: list[list[Any]], segments: list[Segment],
                feats: np.ndarray, bounds: BoundaryParams) -> list[tuple[int, int]]:
        """Unidentified pieces that start a detected segment (after no music) start where the
        level steps up (boundaries.onset_before), never before the music before them ends."""
        starts = {seg.start_frame for seg in segments}
        ends = sorted([s[1] for s in spans] + [b for _, b in kept] + [seg.end_frame for seg in segments])
        level = feats[:, N_BANDS]
        reach = max(1, int(round(bounds.onset_reach_s / BLOCK_S)))
        lead = max(1, int(round(bounds.onset_lead_s / BLOCK_S)))
        out = []
        for a, b in kept:
            if a in starts:
                prev = max((e for e in ends if e <= a), default=0)
                block = onset_before(level, a // BLOCK, reach, lead, bounds.onset_step)
                a = max(prev, min(a, block * BLOCK))
            out.append((a, b))
        return out

    @staticmethod
    def _offsets(kept: list[tuple[int, int]], spans: list[list[Any]], segments: list[Segment],
                 feats: np.ndarray, bounds: BoundaryParams, n_frames: int) -> list[tuple[int, int]]:
        """Unidentified pieces that end a detected segment (before no music) end where the
        level steps down (boundaries.offset_after), never after the music after them starts
        nor after the episode's last frame (the features' last block may be partial, so a
        block boundary can lie past it)."""
        ends = {seg.end_frame for seg in segments}
        starts = sorted([s[0] for s in spans] + [a for a, _ in kept] + [seg.start_frame for seg in segments])
        level = feats[:, N_BANDS]
        reach = max(1, int(round(bounds.offset_reach_s / BLOCK_S)))
        lead = max(1, int(round(bounds.onset_lead_s / BLOCK_S)))
        last = min(n_frames, feats.shape[0] * BLOCK)
        out = []
        for a, b in kept:
            if b in ends:
                nxt = min((s for s in starts if s >= b), default=last)
                block = offset_after(level, -(-b // BLOCK), reach, lead, bounds.onset_step)
                b = max(b, min(nxt, last, block * BLOCK))
            out.append((a, b))
        return out

    @staticmethod
    def _place_crossfades(spans: list[list[Any]], kept: list[tuple[int, int]], feats: np.ndarray,
                          chroma: np.ndarray, params: ChangeParams,
                          placed: set[int] | None = None) -> list[tuple[int, int]]:
        """Where an identified span meets an unidentified piece or another identified span, the
        boundary moves to the middle of a crossfade between them (the written convention,
        docs/local-engine.md); both sides move together, so a span still bounds its neighbour
        exactly."""
        # two identified spans that meet (a crossfade's overlap split, or a hard cut)
        for i, (left, right) in enumerate(zip(spans, spans[1:], strict=False)):
            if left[1] == right[0] and i not in (placed or ()):  # (not where both references decided)
                cut = crossfade_boundary(feats, chroma, left[1], left[0], right[1], params)
                if left[0] < cut < right[1]:
                    left[1] = right[0] = cut
        out = []
        for a, b in kept:
            for span in spans:
                if span[1] == a:  # identified, then unidentified
                    cut = crossfade_boundary(feats, chroma, a, span[0], b, params)
                    if span[0] < cut < b:
                        span[1] = a = cut
                elif span[0] == b:  # unidentified, then identified
                    cut = crossfade_boundary(feats, chroma, b, a, span[1], params)
                    if a < cut < span[1]:
                        span[0] = b = cut
            out.append((a, b))
        return out

    @staticmethod
    def _identified(start: int, end: int, m: TrackMatch, record: TrackRecord, scores: np.ndarray) -> Event:
        meta = record.metadata
        artists = meta.get("artists") or []
        if isinstance(artists, str):
            artists = [a.strip() for a in artists.split(";") if a.strip()]
        detection = float(scores[start:end].mean()) if end > start and scores.size else 0.0
        extra: dict[str, Any] = {k: str(meta[k]) for k in RIGHTS_KEYS if meta.get(k)}
        extra.update({
            "reference_id": record.id,
            "reference_file": Path(record.path).name,
            "track_offset_s": round(m.to_reference(start) * FRAME_S, 3),
            "matched_hashes": m.hits,
            # reference seconds per episode second (25/24 = film sped up to 25 fps)
            "speed_ratio": round(m.ratio, 4),
            "pitch_ratio": round(m.pitch, 4),
        })
        return Event(
            start=_seconds(start), end=_seconds(end), music_detected=True, music_identified=True,
            detection_confidence=round(max(detection, m.confidence), 3),
            identification_confidence=m.confidence,
            title=str(meta.get("title") or Path(record.path).stem),
            artists=[str(a) for a in artists],
            album=meta.get("album") or None, label=meta.get("label") or None,
            release_date=meta.get("release_date") or None, isrc=meta.get("isrc") or None,
            extra=extra,
        )
