"""Packaging files agree with each other and with the code: desktop entry, AppStream metadata,
MIME type, icons, the one version, and the frozen build's entry points and spec."""

from __future__ import annotations

import configparser
import re
import struct
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cuesheet_app import __version__
from tests.cli_helpers import ROOT, run_cli

LINUX = ROOT / "packaging" / "linux"
APP_ID = "io.github.cuesheet.CueSheet"
PROJECT_MIME = "application/x-cuesheet-project"
AS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read(LINUX / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def list_value(text: str) -> list[str]:
    assert text.endswith(";"), f"desktop list {text!r} must end with ';'"
    return [v for v in text.split(";") if v]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_desktop_entry_launches_the_app_for_projects():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Icon"] == APP_ID
    assert entry["Exec"].split()[0] == "cuesheet" and entry["Exec"].endswith("%F")
    assert PROJECT_MIME in list_value(entry["MimeType"])
    main = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics", "Network",
            "Office", "Science", "Settings", "System", "Utility"}
    categories = list_value(entry["Categories"])
    # Audio and Video count as AudioVideo: more main categories would list the app twice.
    assert len({c for c in categories if c in main} - {"Audio", "Video"}) == 1


def test_desktop_entry_matches_the_running_window():
    # X11 docks match StartupWMClass to WM_CLASS, whose class part is the application name;
    # Wayland matches the app id (desktopFileName) to the .desktop file's name.
    source = (ROOT / "cuesheet_app" / "ui" / "app.py").read_text(encoding="utf-8")
    name = re.search(r'setApplicationName\("([^"]+)"\)', source).group(1)
    desktop_id = re.search(r'setDesktopFileName\("([^"]+)"\)', source).group(1)
    assert desktop_entry()["StartupWMClass"] == name
    assert desktop_id == APP_ID and (LINUX / f"{desktop_id}.desktop").is_file()


def test_metainfo_names_the_desktop_file_binary_mime_type_and_current_version():
    root = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    assert (LINUX / root.find("launchable").text).is_file()
    assert root.findtext("provides/binary") == "cuesheet"
    assert root.findtext("provides/mediatype") == PROJECT_MIME
    releases = [r.get("version") for r in root.iter("release")]
    assert releases and releases[0] == __version__, "newest <release> must be cuesheet_app.__version__"
    desktop_categories = set(list_value(desktop_entry()["Categories"]))
    assert {c.text for c in root.iter("category")} <= desktop_categories


def test_mime_type_maps_cuesheet_files_with_the_app_icon():
    root = ET.parse(LINUX / "cuesheet-mime.xml").getroot()
    types = root.findall(f"{AS}mime-type")
    assert [t.get("type") for t in types] == [PROJECT_MIME]
    assert [g.get("pattern") for g in types[0].findall(f"{AS}glob")] == ["*.cuesheet"]
    assert types[0].find(f"{AS}icon").get("name") == APP_ID


def test_hicolor_icons_have_the_size_of_their_folder():
    hicolor = ROOT / "resources" / "icons" / "hicolor"
    sizes = sorted(int(d.name.split("x")[0]) for d in hicolor.iterdir() if d.is_dir())
    assert {16, 32, 48, 64, 128, 256} <= set(sizes)
    for size in sizes:
        assert png_size(hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png") == (size, size)
    assert (ROOT / "resources" / "icons" / "cuesheet.svg").read_text(encoding="utf-8").lstrip().startswith("<")


def test_version_comes_from_one_place():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"] and "version" not in pyproject["project"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cuesheet_app.__version__"}
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    first = re.search(r"^## (\S+)", changelog, re.M)
    assert first and first.group(1) == __version__, "CHANGELOG's newest entry must be __version__"
    result = run_cli("--version", timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == f"cuesheet {__version__}"


def test_frozen_entry_points_support_worker_processes():
    # Frozen, the indexer's spawn workers start the executable again: freeze_support() must run
    # before main() or each worker parses the CLI (and the GUI entry would open a window).
    for name in ("entry_cli.py", "entry_gui.py"):
        text = (ROOT / "packaging" / name).read_text(encoding="utf-8")
        body = text.split('if __name__ == "__main__":', 1)[1]
        assert body.index("multiprocessing.freeze_support()") < body.index("main(")


def test_spec_collects_every_package_data_pattern():
    # Package data is found by path at run time, which PyInstaller's import analysis cannot see.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["cuesheet_app"]
    spec = (ROOT / "packaging" / "cuesheet.spec").read_text(encoding="utf-8")
    assert 'collect_data_files("cuesheet_app")' in spec
    assert any(Path(ROOT / "cuesheet_app").glob(p) for p in patterns)


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    from cuesheet_app.storage import project_file
    from tests.export_sample import sample_sheet

    path = tmp_path / "sample.cuesheet"
    project_file.save(sample_sheet(), path)
    return path


def test_screenshot_can_select_a_cue_and_grab_one_widget(tmp_path, sample_project):
    shots = {}
    for name, extra in (("whole", ["--select-cue", "1"]), ("empty", ["--grab", "PartiesEditor"]),
                        ("parties", ["--select-cue", "1", "--grab", "PartiesEditor"])):
        shots[name] = tmp_path / f"{name}.png"
        result = run_cli("gui", str(sample_project), "--screenshot", str(shots[name]), "--size", "1200x800",
                         *extra, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
    assert png_size(shots["whole"]) == (1200, 800)
    w, h = png_size(shots["parties"])
    assert 0 < w < 1200 and 0 < h < 800
    assert png_size(shots["empty"]) == (w, h)
    # The selected cue's writers and publishers are drawn: not the empty editor's picture.
    assert shots["parties"].read_bytes() != shots["empty"].read_bytes()


def test_screenshot_grab_of_an_unknown_widget_fails_with_its_name(tmp_path, sample_project):
    out = tmp_path / "none.png"
    result = run_cli("gui", str(sample_project), "--screenshot", str(out), "--grab", "NoSuchPanel", timeout=120)
    assert result.returncode != 0
    assert "NoSuchPanel" in result.stderr
    assert not out.exists()
