"""The benchmarks' shared scoring rules (benchmarks/local_engine/scoring.py): one definition of a
wrong identification and of an identified excerpt, used by run.py and library_scale_score.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "local_engine"))

from library_scale_score import score  # noqa: E402
from scoring import covers, wrong_kind  # noqa: E402

SEGS = [
    {"kind": "lib", "track": "a.ogg", "start_s": 0.0, "end_s": 10.0, "level": 0, "change": "none",
     "ratio": 1.0, "track_offset_s": 5.0},
    {"kind": "speech", "start_s": 10.0, "end_s": 14.0},
    {"kind": "lib", "track": "b.ogg", "start_s": 14.0, "end_s": 17.0, "level": -12, "change": "speed 1.0200",
     "ratio": 1.02, "track_offset_s": 0.0},
    {"kind": "nonlib", "track": "x.ogg", "start_s": 17.0, "end_s": 30.0, "level": 0, "change": "none",
     "ratio": 1.0, "track_offset_s": 0.0},
]


def test_wrong_kind_judges_by_the_block_overlapped_most() -> None:
    assert wrong_kind(SEGS, 1.0, 9.0, "a.ogg") is None
    assert wrong_kind(SEGS, 1.0, 11.0, "b.ogg") == "wrong_track"  # mostly over a.ogg
    assert wrong_kind(SEGS, 9.5, 13.5, "a.ogg") == "other"  # mostly speech
    assert wrong_kind(SEGS, 18.0, 25.0, "x.ogg") == "non_library_music"
    assert wrong_kind(SEGS, 40.0, 50.0, "a.ogg") is None  # overlaps nothing


def test_covers_needs_two_seconds_or_half_a_short_excerpt() -> None:
    assert not covers(SEGS[0], 8.5, 12.0)  # 1.5 s of a 10 s excerpt
    assert covers(SEGS[0], 7.9, 12.0)
    assert covers(SEGS[2], 15.4, 16.0) is False
    assert covers(SEGS[2], 15.5, 17.5)  # 1.5 s = half of a 3 s excerpt


def test_score_counts_recall_groups_wrong_ids_and_misses() -> None:
    s = score({"segments": SEGS}, [(0.5, 9.0, "a.ogg", None), (18.0, 25.0, "a.ogg", None)])
    assert s["recall_loud"] == 1.0
    assert s["recall_m12"] is None
    assert s["wrong_ids"] == 1
    assert s["details"]["wrong"]["non_library_music"] == 1
    assert s["details"]["wrong_list"][0]["truth"] == "x.ogg"
    assert s["details"]["excerpts"]["m12 speed 1.0200"] == [0, 1]
    assert len(s["details"]["missed"]) == 1 and s["details"]["missed"][0].startswith("b.ogg")


def test_loud_excerpts_are_counted_per_source_package() -> None:
    from library_scale_score import package_of

    assert package_of("/x/benchmarks/data/pkgs/wesnoth-1.16-music/usr/share/a.ogg") == "wesnoth-1.16-music"
    assert package_of("/x/pkgs-extra/nexuiz-music/a.ogg") == "nexuiz-music"
    assert package_of("/tmp/decoy-000001.flac") == "other"
    segs = [dict(SEGS[0], track="/d/pkgs/p1/a.ogg"), dict(SEGS[0], track="/d/pkgs/p2/b.ogg", start_s=20.0, end_s=30.0)]
    got = score({"segments": segs}, [(0.0, 10.0, "/d/pkgs/p1/a.ogg", None)])["details"]["loud_by_package"]
    assert got == {"p1": [1, 1], "p2": [0, 1]}


def test_the_index_probe_is_the_same_for_the_same_code() -> None:
    """library_scale_probe: what today's code writes for three generated tracks, as one digest;
    written twice it must be the same (random segment names and file times are left out)."""
    from library_scale_probe import index_probe

    first = index_probe()
    assert len(first) == 64 and first == index_probe()
