"""`cuesheet export` end to end, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from pypdf import PdfReader

from cuesheet_app.storage import project_file
from tests.cli_helpers import run_cli
from tests.export_sample import sample_sheet


def test_export_each_format_from_a_project(tmp_path: Path) -> None:
    project = tmp_path / "ep.cuesheet"
    sheet = sample_sheet()
    sheet.export_options = {"rounding": "up", "paper_size": "Letter"}  # remembered per project
    project_file.save(sheet, project)

    r = run_cli("export", str(project), "-o", str(tmp_path / "ep.xlsx"))
    assert r.returncode == 0, r.stderr
    assert "Wrote" in r.stdout
    ws = openpyxl.load_workbook(tmp_path / "ep.xlsx")["Cue Sheet"]
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_LETTER)
    assert "00:04:47" in {c.value for row in ws.iter_rows() for c in row}  # rounded up, from the project

    r = run_cli("--json", "export", str(project), "--format", "pdf", "--rounding", "nearest",
                "--orientation", "portrait", "-o", str(tmp_path / "sheet.out"))
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["output"] == str(tmp_path / "sheet.out") and result["format"] == "pdf"
    assert result["options"]["rounding"] == "nearest" and result["options"]["paper_size"] == "Letter"
    assert result["validation_errors"] == 0
    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "sheet.out").pages)
    assert "Total music duration: 00:04:44" in text and "Antonín Dvořák" in text

    r = run_cli("export", str(project), "--csv-variant", "parties", "--include-inactive",
                "-o", str(tmp_path / "ep.csv"))
    assert r.returncode == 0, r.stderr
    body = (tmp_path / "ep.csv").read_bytes()
    assert body.startswith(b"\xef\xbb\xbf") and b"Dropped Take (inactive)" in body


def test_export_with_validation_errors_writes_and_says_so(tmp_path: Path) -> None:
    project = tmp_path / "ep.cuesheet"
    sheet = sample_sheet()
    sheet.header.production_company = ""
    project_file.save(sheet, project)
    r = run_cli("export", str(project), "-o", str(tmp_path / "ep.csv"))
    assert r.returncode == 0 and (tmp_path / "ep.csv").exists()
    assert "1 validation error(s)" in r.stderr and "cuesheet validate" in r.stderr


def test_export_errors_are_one_line(tmp_path: Path) -> None:
    project = tmp_path / "ep.cuesheet"
    project_file.save(sample_sheet(), project)
    r = run_cli("export", str(project), "-o", str(tmp_path / "ep.doc"))
    assert r.returncode == 2 and "pass --format" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("export", str(project), "-o", str(tmp_path / "no-such-dir" / "ep.pdf"))
    assert r.returncode == 2 and "no-such-dir" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
