"""Smoke test of the frozen build: ``python packaging/smoke_test.py dist/cuesheet``.

Why it exists: a PyInstaller build can import fine and still fail at the first real use
(a Qt plugin, an FFmpeg library, a font, an engine imported by name left out). So this runs
the built executables, never the checkout, through what a user does in the first hour:

1. ``cuesheet --version`` prints the version from ``cuesheet_app/__init__.py``;
2. a small library (the first-run demo's synthesized tracks and rights sheet) is indexed with
   ``cuesheet library add``; the demo episode is identified with ``cuesheet identify`` (local
   engine) and at least one cue must be identified with a title from the library;
3. the rights sheet goes into a catalogue (``cuesheet catalogue import``, then ``find``); FCP XML,
   .otio, AAF and EDL cuts import with ``cuesheet import-edit`` (OTIO's adapter plugins); the
   project is exported to xlsx (opened with openpyxl) and PDF (``%PDF``, at least one page);
4. ``cuesheet-app PROJECT --screenshot`` renders the GUI offscreen to a PNG, with Qt Multimedia's
   FFmpeg backend loaded for the episode (the AudioShake engine and keyring backends load too);
5. ``cuesheet gui --demo --screenshot`` runs the whole first-run demo inside the frozen app.

Only the inputs are made with this Python (the product's own demo synthesis, numpy and
espeak-ng where installed). Exits 0 when everything passed, otherwise 1 with one line that
names the step and what was wrong, followed by the tail of the failing command's output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT_S = 600
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class SmokeFailure(Exception):
    """One step failed; the message names the step and what was wrong."""


def source_version() -> str:
    """``__version__`` read as text, so the check does not depend on importing the package."""
    text = (ROOT / "cuesheet_app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.M)
    if not match:
        raise SmokeFailure("version: no __version__ in cuesheet_app/__init__.py")
    return match.group(1)


def executable(dist: Path, name: str) -> Path:
    path = dist.resolve() / (name + (".exe" if os.name == "nt" else ""))
    if not path.is_file():
        raise SmokeFailure(f"build: {path} is missing (run `make package` first)")
    return path


# Files the app finds at run time by path, not by import: PyInstaller's analysis cannot see them.
REQUIRED_FILES = (
    "cuesheet_app/identify/local/detector_model.json",  # music detector weights (else a cruder fallback)
    "resources/fonts/DejaVuSans.ttf",  # PDF export font
    "resources/icons/cuesheet.svg",  # window icon
)
QT_FFMPEG_PLUGIN = "PySide6/Qt/plugins/multimedia"


def check_contents(dist: Path) -> None:
    """The data files and the Qt Multimedia FFmpeg backend are inside the build."""
    internal = dist.resolve() / "_internal"
    base = internal if internal.is_dir() else dist.resolve()
    missing = [f for f in REQUIRED_FILES if not (base / f).is_file()]
    if missing:
        raise SmokeFailure(f"build contents: missing {', '.join(missing)} under {base}")
    plugins = base / QT_FFMPEG_PLUGIN
    if sys.platform.startswith("linux") and not any(plugins.glob("*ffmpeg*")):
        raise SmokeFailure(f"build contents: no Qt Multimedia FFmpeg plugin in {plugins}")
    print(f"ok  {'build contents':<28} {'':>6}", flush=True)


def frozen_env(home: Path) -> dict[str, str]:
    """Environment for the built app: private data folder, offscreen Qt, nothing from the venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}}
    env["CUESHEET_HOME"] = str(home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


class Runner:
    """Runs the built executables in a scratch folder and reports each step with its time."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work = work
        self.env = env
        self.last_stderr = ""  # of the last command, for checks on its warnings
        self.passed = 0  # steps that went through, for the closing "N passed, N failed" line

    def run(self, step: str, argv: list[str | Path], expect_failure: bool = False,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        try:
            proc = subprocess.run([str(a) for a in argv], cwd=self.work, env=env or self.env, text=True,
                                  capture_output=True, timeout=STEP_TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise SmokeFailure(f"{step}: no answer after {STEP_TIMEOUT_S} s: {' '.join(map(str, argv))}") from exc
        except OSError as exc:
            raise SmokeFailure(f"{step}: cannot start {argv[0]}: {exc}") from exc
        elapsed = time.monotonic() - started
        self.last_stderr = proc.stderr or ""
        if expect_failure:
            if proc.returncode == 0:
                raise SmokeFailure(f"{step}: exit code 0, expected a refusal")
        elif proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
            raise SmokeFailure(f"{step}: exit code {proc.returncode} from {Path(argv[0]).name} "
                               f"{' '.join(map(str, argv[1:]))}\n{tail}")
        print(f"ok  {step:<28} {elapsed:6.1f} s", flush=True)
        self.passed += 1
        return proc

    def json(self, step: str, argv: list[str | Path]) -> dict:
        proc = self.run(step, [*argv, "--json"])
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            raise SmokeFailure(f"{step}: --json output is not JSON: {proc.stdout[:200]!r}") from exc


# --- inputs -----------------------------------------------------------------------------------
def make_inputs(work: Path) -> tuple[Path, Path, Path, list[str]]:
    """The demo's four library tracks, its rights sheet and its episode, written as WAV files."""
    sys.path.insert(0, str(ROOT))
    from cuesheet_app.services import demo

    music = work / "library-music"
    music.mkdir()
    tracks = {}
    for t in demo.TRACKS:
        tracks[t.file] = demo.synth_music(demo.TRACK_SECONDS, t.seed, t.tempo, t.scale)
        demo.write_wav(music / t.file, tracks[t.file])
    sheet = demo.metadata_csv(work / "library-metadata.csv")
    with tempfile.TemporaryDirectory() as tmp:
        speech = demo.synth_speech(demo.SPEECH, Path(tmp))
    episode = demo.write_wav(work / "harbour_lights_101.wav", demo.build_episode(tracks, speech))
    return music, sheet, episode, [t.title for t in demo.TRACKS]


# --- checks -----------------------------------------------------------------------------------
def check_version(r: Runner, cli: Path) -> None:
    want = f"cuesheet {source_version()}"
    got = r.run("cuesheet --version", [cli, "--version"]).stdout.strip()
    if got != want:
        raise SmokeFailure(f"cuesheet --version: printed {got!r}, expected {want!r}")


def check_identify(r: Runner, cli: Path, music: Path, sheet: Path, episode: Path, titles: list[str]) -> Path:
    added = r.json("library add", [cli, "library", "add", "--library", "library", "--metadata", sheet, music])
    if added.get("failed") or len(added.get("added", [])) != len(titles):
        raise SmokeFailure(f"library add: expected {len(titles)} tracks added, got {added}")
    if "worker processes failed" in r.last_stderr:
        raise SmokeFailure("library add: indexing worker processes failed (multiprocessing.freeze_support?)")
    result = r.json("identify (local engine)", [cli, "identify", "--engine", "local", "--library", "library",
                                                 episode, "-o", "episode.cuesheet"])
    rows = result.get("results") or [{}]
    if rows[0].get("identified", 0) < 1:
        raise SmokeFailure(f"identify: no cue identified in {episode.name}: {rows[0]}")
    project = r.work / "episode.cuesheet"
    if not project.is_file():
        raise SmokeFailure(f"identify: {project} was not written")
    text = project.read_text(encoding="utf-8")
    if not any(json.dumps(t)[1:-1] in text for t in titles):
        raise SmokeFailure(f"identify: {project.name} names none of the library's titles")
    print(f"    {rows[0].get('identified')} of {rows[0].get('cues')} cues identified", flush=True)
    return project


def check_engines_and_keyring(r: Runner, cli: Path, episode: Path) -> None:
    """The AudioShake engine (imported by name) loads and, without a key, refuses with the message a
    user can act on; the keyring's backends (found through package metadata) are in the build."""
    env = {k: v for k, v in r.env.items() if k != "AUDIOSHAKE_API_KEY"}
    proc = r.run("audioshake without a key", [cli, "identify", "--debug", "--engine", "audioshake", episode,
                                              "-o", "never.cuesheet"], expect_failure=True, env=env)
    if "No AudioShake API key" not in proc.stderr:
        tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
        raise SmokeFailure(f"audioshake without a key: no 'No AudioShake API key' message\n{tail}")
    if sys.platform.startswith("linux") and "Loading SecretService" not in proc.stderr:
        raise SmokeFailure("keyring: the SecretService backend was not loaded (keyring metadata missing?)")


def check_catalogue(r: Runner, cli: Path, sheet: Path, titles: list[str]) -> None:
    """The rights catalogue (SQLite in the build) imports the rights sheet and finds a work by title."""
    imported = r.json("catalogue import", [cli, "catalogue", "import", "--catalogue", "catalogue.sqlite", sheet])
    if imported.get("added") != len(titles):
        raise SmokeFailure(f"catalogue import: expected {len(titles)} added, got {imported.get('added')}")
    found = r.json("catalogue find", [cli, "catalogue", "find", "--catalogue", "catalogue.sqlite", titles[-1]])
    if titles[-1] not in [h.get("title") for h in found.get("hits", [])]:
        raise SmokeFailure(f"catalogue find: {titles[-1]!r} not found after the import")


def check_xlsx(r: Runner, cli: Path, project: Path, titles: list[str]) -> None:
    out = r.work / "episode.xlsx"
    r.run("export xlsx", [cli, "export", project, "-o", out])
    try:
        import openpyxl
    except ImportError:
        if out.read_bytes()[:2] != b"PK":
            raise SmokeFailure(f"export xlsx: {out.name} is not a zip (xlsx) file") from None
        return
    try:
        book = openpyxl.load_workbook(out, read_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding
        raise SmokeFailure(f"export xlsx: openpyxl cannot open {out.name}: {exc}") from exc
    cells = {str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c}
    book.close()
    if not any(t in cells for t in titles):
        raise SmokeFailure(f"export xlsx: {out.name} has no cell with a library title")


def check_pdf(r: Runner, cli: Path, project: Path) -> None:
    out = r.work / "episode.pdf"
    r.run("export pdf", [cli, "export", project, "-o", out])
    data = out.read_bytes()
    if not data.startswith(b"%PDF"):
        raise SmokeFailure(f"export pdf: {out.name} does not start with %PDF")
    try:
        from pypdf import PdfReader
    except ImportError:
        pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    else:
        pages = len(PdfReader(out).pages)
    if pages < 1:
        raise SmokeFailure(f"export pdf: {out.name} has no pages")
    print(f"    {pages} page(s), {len(data) // 1024} KB", flush=True)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24] if path.is_file() else b""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE):
        return 0, 0
    return struct.unpack(">II", data[16:24])


def check_screenshot(r: Runner, step: str, argv: list[str | Path], out: Path, media_backend: bool = False) -> None:
    """The GUI renders offscreen; with ``media_backend`` also that Qt Multimedia loaded its FFmpeg
    backend (playback of the episode), read from Qt's own plugin log."""
    env = {**r.env, "QT_LOGGING_RULES": "qt.multimedia.plugin=true"} if media_backend else None
    proc = r.run(step, [*argv, "--screenshot", out, "--size", "1280x800"], env=env)
    if media_backend and 'Loading media backend "ffmpeg"' not in proc.stderr:
        tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
        raise SmokeFailure(f"{step}: Qt Multimedia did not load its FFmpeg backend (no playback)\n{tail}")
    w, h = png_size(out)
    if w == 0 or h == 0 or out.stat().st_size == 0:
        raise SmokeFailure(f"{step}: {out.name} is not a PNG of non-zero size")
    print(f"    {out.name}: {w}x{h}, {out.stat().st_size // 1024} KB", flush=True)


def check_edit_lists(r: Runner, cli: Path, work: Path) -> None:
    """OTIO's adapters are plugins found through package metadata and manifests: each format an
    editor exports (FCP 7 XML, AAF, .otio, CMX EDL) must import in the frozen build."""
    sys.path.insert(0, str(ROOT))
    from tests.editlist_fixtures import EDL_NDF, write_aaf, write_otio

    edl = work / "cut.edl"
    edl.write_text(EDL_NDF, encoding="utf-8")
    for path, want in ((write_otio(work / "cut.xml", "fcp_xml"), 1), (write_otio(work / "cut.otio"), 2),
                       (write_aaf(work / "cut.aaf"), 2), (edl, 3)):
        out = work / (path.name + ".cuesheet")
        report = r.json(f"import-edit {path.suffix}", [cli, "import-edit", path, "-o", out])
        if report.get("cues") != want:
            raise SmokeFailure(f"import-edit {path.name}: expected {want} cue(s), got {report.get('cues')}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dist", type=Path, help="the one-folder build, e.g. dist/cuesheet")
    p.add_argument("--work", type=Path, help="scratch folder to use and keep (default: a temporary one)")
    p.add_argument("--skip-demo", action="store_true", help="skip step 5 (the first-run demo in the GUI)")
    args = p.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="cuesheet-smoke-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    r: Runner | None = None
    try:
        cli = executable(args.dist, "cuesheet")
        gui = executable(args.dist, "cuesheet-app")
        check_contents(args.dist)
        r = Runner(work, frozen_env(work / "home"))
        check_version(r, cli)
        t0 = time.monotonic()
        music, sheet, episode, titles = make_inputs(work)
        print(f"ok  {'make inputs (this Python)':<28} {time.monotonic() - t0:6.1f} s", flush=True)
        project = check_identify(r, cli, music, sheet, episode, titles)
        check_engines_and_keyring(r, cli, episode)
        check_catalogue(r, cli, sheet, titles)
        check_edit_lists(r, cli, work)
        check_xlsx(r, cli, project, titles)
        check_pdf(r, cli, project)
        check_screenshot(r, "cuesheet-app PROJECT", [gui, project], work / "project.png", media_backend=True)
        if not args.skip_demo:
            check_screenshot(r, "cuesheet gui --demo", [cli, "gui", "--demo"], work / "demo.png")
            demo_projects = list((work / "home").rglob("*.cuesheet"))
            if not demo_projects:
                raise SmokeFailure("cuesheet gui --demo: the demo project was not saved under CUESHEET_HOME")
    except SmokeFailure as exc:
        print(f"smoke test FAILED: {exc}", file=sys.stderr)
        print(f"smoke: {r.passed if r else 0} passed, 1 failed", flush=True)
        if any(work.iterdir()):
            print(f"(files kept in {work})", file=sys.stderr)
        elif args.work is None:
            work.rmdir()
        return 1
    print(f"smoke test passed in {time.monotonic() - started:.1f} s ({args.dist})")
    print(f"smoke: {r.passed} passed, 0 failed")  # the closing line CI reads, like pytest's
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
