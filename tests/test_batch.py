"""A season in one run: three generated episodes with a series header, then the resume."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cuesheet_app.services.season import SeasonError, SeriesHeader
from cuesheet_app.storage import project_file
from tests.cli_helpers import run_cli
from tests.recut_fixtures import ORIGINAL, RECUT, build_library, write_episode

HEADER = {"program_title": "Coast Life", "production_company": "Harbour Films", "network": "NBS",
          "category": "Series", "episode_number_pattern": r"S\d+E(\d+)"}


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("season")
    lib = build_library(root)
    eps = root / "episodes"
    eps.mkdir()
    write_episode(eps / "CoastLife_S01E01.wav", ORIGINAL)
    write_episode(eps / "CoastLife_S01E02.wav", RECUT)
    write_episode(eps / "CoastLife_S01E03.wav", ("lead", "new", "band"))
    header = root / "header.json"
    header.write_text(json.dumps(HEADER))
    return {"root": root, "lib": lib, "eps": eps, "header": header, "out": root / "out"}


def _batch(s: dict[str, Path], *extra: str) -> dict:
    r = run_cli("batch", str(s["eps"]), "--header", str(s["header"]), "--out-dir", str(s["out"]),
                "--library", str(s["lib"]), "--jobs", "2", "--json", *extra)
    assert r.returncode in (0, 2), r.stderr
    return json.loads(r.stdout) | {"_rc": r.returncode, "_stderr": r.stderr}


def _sections(text: str) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        if len(row) == 1:
            current = out.setdefault(row[0], [])
        else:
            current.append(row)
    return out


def test_batch_with_header_then_resume(season: dict[str, Path]) -> None:
    first = _batch(season)
    assert first["_rc"] == 0 and first["counts"]["done"] == 3
    projects = sorted(season["out"].glob("*.cuesheet"))
    assert [p.stem for p in projects] == ["CoastLife_S01E01", "CoastLife_S01E02", "CoastLife_S01E03"]
    sheets = [project_file.load(p) for p in projects]
    for n, sheet in enumerate(sheets, start=1):
        h = sheet.header
        assert (h.program_title, h.production_company, h.network, h.category) == \
            ("Coast Life", "Harbour Films", "NBS", "Series")
        assert h.episode_number == f"{n:02d}"
    assert [c.title for c in sheets[2].cues] == ["track0", "Unidentified music 1"]
    # progress per episode and overall
    assert "[0/3 done]" in first["_stderr"] or first["_stderr"] == ""  # --json keeps stderr quiet
    # the season report: every cue of every episode, and the totals
    text = (season["out"] / "season.csv").read_text(encoding="utf-8-sig")
    sec = _sections(text)
    assert set(sec) == {"Cues", "By track", "By publisher", "By usage"}
    cues = sec["Cues"][1:]
    assert len(cues) == sum(len(s.active_cues()) for s in sheets) == 4 + 4 + 2
    assert {row[0] for row in cues} == {"01", "02", "03"}
    tracks = {row[0]: row for row in sec["By track"][1:]}
    assert tracks["Calm Sea"][4:6] == ["2", "2"]  # episodes, uses
    assert tracks["track0"][4:6] == ["2", "2"]
    pubs = {row[0]: row for row in sec["By publisher"][1:]}
    assert pubs["Sea Publishing"][2:4] == ["2", "2"]
    usage = {row[0]: row for row in sec["By usage"][1:]}
    assert usage["BI"][3] == "10"
    wb = load_workbook(season["out"] / "season.xlsx")
    assert wb.sheetnames == ["Cues", "By track", "By publisher", "By usage", "Episodes"]
    assert wb["Cues"].max_row == 11
    assert [c.value for c in wb["Episodes"]["C"]][1:] == ["Draft"] * 3

    # run again: nothing is identified again
    stamp = {p.name: p.stat().st_mtime_ns for p in projects}
    again = _batch(season)
    assert again["counts"] == {"done": 0, "skipped": 3, "header": 0, "failed": 0, "cancelled": 0}
    assert {p.name: p.stat().st_mtime_ns for p in projects} == stamp
    # a changed header is applied without identifying again
    season["header"].write_text(json.dumps({**HEADER, "network": "NBS Two"}))
    changed = _batch(season)
    assert changed["counts"]["header"] == 3 and changed["counts"]["done"] == 0
    assert project_file.load(projects[0]).header.network == "NBS Two"
    # a re-delivered episode (new media) and a lost project are made again; the rest is kept
    write_episode(season["eps"] / "CoastLife_S01E03.wav", ("lead", "band", "new"))
    projects[1].unlink()
    third = _batch(season)
    states = {Path(e["episode"]).stem: e["state"] for e in third["episodes"]}
    assert states == {"CoastLife_S01E01": "skipped", "CoastLife_S01E02": "done", "CoastLife_S01E03": "done"}
    assert [c.title for c in project_file.load(projects[2]).cues] == ["Unidentified music 1", "track0"]


def test_a_broken_episode_fails_alone_and_is_retried_next_run(season: dict[str, Path], tmp_path: Path) -> None:
    eps = tmp_path / "eps"
    eps.mkdir()
    write_episode(eps / "Show_S02E01.wav", ("lead", "sea"))
    (eps / "Show_S02E02.wav").write_bytes(b"RIFF....not audio at all")
    s = {**season, "eps": eps, "out": tmp_path / "out"}
    first = _batch(s)
    assert first["_rc"] == 2
    states = {Path(e["episode"]).stem: (e["state"], e["error"]) for e in first["episodes"]}
    assert states["Show_S02E01"][0] == "done" and states["Show_S02E02"][0] == "failed"
    assert states["Show_S02E02"][1]
    write_episode(eps / "Show_S02E02.wav", ("lead", "drive"))
    second = _batch(s)
    assert second["_rc"] == 0
    assert {Path(e["episode"]).stem: e["state"] for e in second["episodes"]} == \
        {"Show_S02E01": "skipped", "Show_S02E02": "done"}


def test_series_header_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(SeasonError, match="'program_tilte' is not a series header field"):
        SeriesHeader.from_dict({"program_tilte": "x"})
    with pytest.raises(SeasonError, match="must be text"):
        SeriesHeader.from_dict({"network": 5})
    with pytest.raises(SeasonError, match="regular expression"):
        SeriesHeader.from_dict({"episode_number_pattern": "E(\\d+"})
    h = SeriesHeader.from_dict({"episode_number_pattern": r"ep(?P<n>\d+)"})
    assert h.episode_number(Path("show_EP107_final.mov")) == "107"
    r = run_cli("batch", str(tmp_path), "--header", str(tmp_path / "missing.json"), "--out-dir", str(tmp_path))
    assert r.returncode == 2 and "missing.json does not exist" in r.stderr


def test_a_killed_run_loses_nothing_done(season: dict[str, Path], tmp_path: Path) -> None:
    """SIGKILL the whole batch (workers too) once an episode is finished; the next run keeps it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.cli_helpers import ROOT

    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "cuesheet_app", "batch", str(season["eps"]), "--header", str(season["header"]),
           "--out-dir", str(out), "--library", str(season["lib"]), "--jobs", "1", "--quiet"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob("*.cuesheet")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    done_before = sorted(p.name for p in out.glob("*.cuesheet"))
    assert done_before and len(done_before) < 3, done_before
    stamps = {name: (out / name).stat().st_mtime_ns for name in done_before}
    for name in done_before:
        project_file.load(out / name)  # whole, never half-written
    again = _batch({**season, "out": out})
    assert again["_rc"] == 0
    states = {Path(e["project"]).name: e["state"] for e in again["episodes"]}
    assert all(states[name] == "skipped" for name in done_before)
    assert sum(1 for s in states.values() if s == "done") == 3 - len(done_before)
    assert {name: (out / name).stat().st_mtime_ns for name in done_before} == stamps
