"""``cuesheet catalogue import|export|find`` end to end, and auto-fill through ``import-events``."""

from __future__ import annotations

import json
from pathlib import Path

from cuesheet_app.storage import project_file
from tests.audio_fixtures import silence, write_wav
from tests.catalogue_helpers import BAD_ROWS, GOOD_ROWS, write_sheet
from tests.cli_helpers import run_cli
from tests.test_events import EXAMPLE


def test_catalogue_commands_end_to_end(tmp_path: Path, app_home: Path) -> None:
    default = app_home / "data" / "catalogue.sqlite"
    r = run_cli("catalogue", "find", "jane")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "No rights catalogue at" in r.stderr and "import a metadata sheet first" in r.stderr

    mixed = write_sheet(tmp_path / "mixed.csv", GOOD_ROWS + BAD_ROWS)
    r = run_cli("catalogue", "import", str(mixed), "--dry-run")
    assert r.returncode == 1, r.stderr  # a row was skipped
    assert "ADD     mixed.csv row 2: Morning Run" in r.stdout
    assert ("  left out: mixed.csv row 4, column composers: writer shares add up to 120%, not 100%; "
            "the writer shares are left empty") in r.stdout
    assert "SKIPPED mixed.csv row 7: duplicate ISRC USRC17607839" in r.stdout
    assert ("would import 5 new, 0 updated, 0 unchanged, 1 skipped, 3 applied with problems "
            "(dry run: nothing written)") in r.stdout
    assert not default.exists()

    r = run_cli("catalogue", "import", str(mixed), "--catalogue", str(tmp_path / "mixed.sqlite"))
    assert r.returncode == 1 and "imported 5 new" in r.stdout and "3 applied with problems" in r.stdout
    assert not default.exists()
    good = write_sheet(tmp_path / "good.csv", GOOD_ROWS)
    r = run_cli("catalogue", "import", str(good))
    assert r.returncode == 0 and "imported 2 new" in r.stdout
    assert default.exists()
    r = run_cli("catalogue", "import", str(good))
    assert r.returncode == 0 and "0 new, 0 updated, 2 unchanged, 0 skipped" in r.stdout, r.stdout

    r = run_cli("--json", "catalogue", "find", "john roe")
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)
    assert found["count"] == 1 and found["hits"][0]["title"] == "Morning Run"
    assert found["hits"][0]["recording"]["isrc"] == "USRC17607839"
    r = run_cli("catalogue", "find", "T-034.524.680-1")
    assert r.returncode == 0 and "Morning Run" in r.stdout and "Evening Walk" not in r.stdout
    r = run_cli("catalogue", "find", "no such thing")
    assert r.returncode == 1 and "Nothing in the catalogue matches" in r.stdout

    backup = tmp_path / "backup.xlsx"
    r = run_cli("catalogue", "export", str(backup))
    assert r.returncode == 0 and "2 row(s)" in r.stdout and backup.stat().st_size > 0
    other = tmp_path / "restored.sqlite"
    r = run_cli("catalogue", "import", str(backup), "--catalogue", str(other))
    assert r.returncode == 0 and "imported 2 new" in r.stdout
    r = run_cli("--json", "catalogue", "find", "", "--catalogue", str(other))
    assert json.loads(r.stdout)["count"] == 2

    r = run_cli("catalogue", "import", str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "missing.csv" in r.stderr and "Traceback" not in r.stderr


def test_import_events_fills_rights_from_the_catalogue(tmp_path: Path) -> None:
    ident = next(e for e in EXAMPLE["events"] if e.get("music_identified"))
    sheet = write_sheet(tmp_path / "dg.csv", [[ident["title"], "Gil Shaham", ident["isrc"],
                                               "Fritz Kreisler [GEMA] [00012345678] 100%",
                                               "Schott Music [GEMA] 100%"]],
                        header=["Title", "Artists", "ISRC", "Composers", "Publishers"])
    assert run_cli("catalogue", "import", str(sheet)).returncode == 0
    events = tmp_path / "events.json"
    events.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    episode = write_wav(tmp_path / "episode.wav", silence(30, 8000), 8000)
    project = tmp_path / "ep.cuesheet"
    r = run_cli("import-events", str(events), "--media", str(episode), "-o", str(project))
    assert r.returncode == 0, r.stderr
    cues = project_file.load(project).cues
    filled = [c for c in cues if c.provenance.filled_from_catalogue]
    assert len(filled) == 1
    assert [(p.role, p.display_name, p.ipi) for p in filled[0].parties] == [
        ("C", "Fritz Kreisler", "00012345678"), ("E", "Schott Music", "")]
    assert filled[0].provenance.catalogue_ref.startswith("recording:")
