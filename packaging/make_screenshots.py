"""README screenshots from the real app: ``python packaging/make_screenshots.py [OUT_DIR]`` (``make screenshots``).

Why a script: pictures made by hand go stale with the first UI change; these are made from
the checkout's own ``cuesheet`` command, offscreen, so ``make screenshots`` keeps them current.

1. ``main-window.png``: the first-run demo (synthesized library, espeak-ng dialogue, local engine),
   built with ``cuesheet gui --demo --screenshot``, then opened with an identified cue selected;
2. ``timeline-editing.png``: the demo project with a cue selected (``--select-cue``), the editor
   area only (``--grab editorArea``): timeline, cue table and the selected cue's parties;
3. ``parties-editor.png``: the parties tab for a cue with two societies and split shares;
4. ``catalogue.png``: the rights catalogue window (Tools ▸ Rights Catalogue), after ``cuesheet
   catalogue import`` of the demo's rights sheet; ``--screenshot`` grabs only the main window, so
   this one opens ``CatalogueWindow`` itself, offscreen, on that catalogue file;
5. ``pdf-page.png``: page 1 of ``cuesheet export PROJECT -o x.pdf``, rendered by ``pdftoppm``.

Everything runs in a private CUESHEET_HOME; the user's settings, library and catalogue are
never touched. Exits 1 with the failing step and its output when a picture cannot be made.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "docs" / "screenshots"
MAX_BYTES = 300 * 1024  # README pictures stay small enough for the repository
WINDOW = "1600x1000"
WIDE = "1800x1000"  # the editor area grabbed alone: timeline, cue table and parties stacked
PARTIES_SIZE = "1400x900"  # the parties tab runs the editor's full width: all seven columns show
# Cues to select, by title (numbers move when the engine finds more or fewer cues); when none is
# in the project, the identified cue with the most parties is selected.
MAIN_CUE = ("Night Ferry", "Salt and Wire")  # Night Ferry plays under dialogue
TIMELINE_CUE = ("Harbour Lights (Main Title)",)  # two composers, two publishers
PARTIES_CUE = ("Lantern Walk",)  # STIM and SGAE writers, 60/40

CATALOGUE_SHOT = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from cuesheet_app.ui.catalogue_window import CatalogueWindow

app = QApplication(sys.argv[:1])
window = CatalogueWindow(Path(sys.argv[1]))
window.resize(1400, 800)
window.show()
window.select_first()
for _ in range(20):
    app.processEvents()
sys.exit(0 if window.grab().save(sys.argv[2]) else 2)
"""


class ShotFailure(Exception):
    pass


class Shooter:
    """Runs the checkout's ``cuesheet`` in a private home and offscreen Qt."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = {**os.environ, "CUESHEET_HOME": str(work / "home"), "QT_QPA_PLATFORM": "offscreen",
                    "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    def run(self, step: str, argv: list[str | Path], timeout: float = 600) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        try:
            proc = subprocess.run([str(a) for a in argv], cwd=self.work, env=self.env, text=True,
                                  capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise ShotFailure(f"{step}: no answer after {timeout:.0f} s") from exc
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
            raise ShotFailure(f"{step}: exit code {proc.returncode}\n{tail}")
        print(f"ok  {step:<34} {time.monotonic() - started:6.1f} s", flush=True)
        return proc

    def cuesheet(self, step: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return self.run(step, [sys.executable, "-m", "cuesheet_app", *args])

    def gui(self, out: Path, *args: str | Path, size: str = WINDOW) -> Path:
        self.cuesheet(out.name, "gui", *args, "--screenshot", out, "--size", size)
        return out


def shrink(path: Path) -> None:
    """Re-save with the strongest PNG compression when a picture is over MAX_BYTES."""
    if path.stat().st_size <= MAX_BYTES:
        return
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    image.convertTo(QImage.Format.Format_RGB888)  # screenshots are opaque: drop the alpha channel
    image.save(str(path), "PNG", 0)


def cue_number(project: Path, titles: tuple[str, ...]) -> str:
    """The 1-based number (for ``--select-cue``) of the first cue with one of ``titles``."""
    sys.path.insert(0, str(ROOT))
    from cuesheet_app.storage import project_file

    cues = project_file.load(project).cues
    for title in titles:
        for i, cue in enumerate(cues, 1):
            if cue.title == title:
                return str(i)
    best = max(range(len(cues)), key=lambda i: len(cues[i].parties), default=0)
    return str(best + 1)


def make_all(out_dir: Path, work: Path) -> list[Path]:
    s = Shooter(work)
    out_dir.mkdir(parents=True, exist_ok=True)
    s.gui(work / "demo.png", "--demo")  # builds the demo project; the picture is taken below
    projects = sorted((work / "home").rglob("*.cuesheet"))
    if not projects:
        raise ShotFailure("demo: the demo saved no project under CUESHEET_HOME")
    project = projects[0]
    demo_root = project.parent
    shots = [s.gui(out_dir / "main-window.png", project, "--select-cue", cue_number(project, MAIN_CUE))]
    shots.append(s.gui(out_dir / "timeline-editing.png", project, "--select-cue", cue_number(project, TIMELINE_CUE),
                       "--grab", "editorArea", size=WIDE))
    shots.append(s.gui(out_dir / "parties-editor.png", project, "--select-cue", cue_number(project, PARTIES_CUE),
                       "--grab", "QTabWidget", size=PARTIES_SIZE))

    catalogue = work / "catalogue.sqlite"
    sheet = demo_root / "library-metadata.csv"
    s.cuesheet("catalogue import", "catalogue", "import", "--catalogue", catalogue, sheet)
    shots.append(out_dir / "catalogue.png")
    s.run("catalogue.png", [sys.executable, "-c", CATALOGUE_SHOT, catalogue, shots[-1]])

    pdf = work / "demo.pdf"
    s.cuesheet("export pdf", "export", project, "-o", pdf)
    if not shutil.which("pdftoppm"):
        raise ShotFailure("pdf-page.png: pdftoppm is not installed (Debian: poppler-utils)")
    s.run("pdf-page.png", ["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", pdf,
                           out_dir / "pdf-page"])
    shots.append(out_dir / "pdf-page.png")
    for shot in shots:
        if not shot.is_file() or shot.stat().st_size == 0:
            raise ShotFailure(f"{shot.name}: not written")
        shrink(shot)
    return shots


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir", nargs="?", type=Path, default=OUT_DIR, help=f"default: {OUT_DIR.relative_to(ROOT)}")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder (demo, catalogue, PDF)")
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # for shrink()
    work = Path(tempfile.mkdtemp(prefix="cuesheet-shots-"))
    try:
        shots = make_all(args.out_dir.resolve(), work)
    except ShotFailure as exc:
        print(f"screenshots FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"scratch files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    for shot in shots:
        print(f"    {shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot}: {shot.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
