"""Scoring rules shared by the local-engine benchmark (``run.py``) and the library-scale one.

One definition of "this identification is right/wrong" and "this excerpt was identified", so
the two benchmarks (and Olaf, scored by the library-scale harness) can never drift apart.
A truth segment is a dict with ``kind`` ("lib", "nonlib" or anything else: speech, noise,
silence), ``start_s``, ``end_s`` and, for music, ``track``.
"""

from __future__ import annotations


def best_block(segments: list[dict], start_s: float, end_s: float) -> dict | None:
    """The truth segment that overlaps ``[start_s, end_s]`` most (None when none does)."""
    best, overlap = None, 0.0
    for s in segments:
        o = min(end_s, s["end_s"]) - max(start_s, s["start_s"])
        if o > overlap:
            best, overlap = s, o
    return best


def wrong_kind(segments: list[dict], start_s: float, end_s: float, track: str) -> str | None:
    """Why an identification of ``track`` over ``[start_s, end_s]`` is wrong, judged by the block
    it overlaps most: "wrong_track" (another library track), "non_library_music", or "other"
    (speech, noise, silence); None when it is right or overlaps nothing."""
    best = best_block(segments, start_s, end_s)
    if best is None:
        return None
    if best["kind"] == "lib":
        return "wrong_track" if best["track"] != track else None
    return "non_library_music" if best["kind"] == "nonlib" else "other"


def covers(segment: dict, start_s: float, end_s: float) -> bool:
    """An identification of the segment's track counts for it when it overlaps the segment by
    min(2 s, half the segment): short excerpts need not be covered for 2 s."""
    need = min(2.0, 0.5 * (segment["end_s"] - segment["start_s"]))
    return min(end_s, segment["end_s"]) - max(start_s, segment["start_s"]) >= need
