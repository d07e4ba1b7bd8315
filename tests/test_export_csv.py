"""CSV export: BOM, both variants, the formula guard, totals that add up."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

import pytest

from cuesheet_app.export.csv_export import CsvVariantError
from cuesheet_app.export.options import ExportOptions
from cuesheet_app.export.registry import export
from cuesheet_app.storage.atomic import WriteError
from tests.export_sample import sample_sheet


def _read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM to read accents"
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def test_one_row_per_cue(tmp_path: Path) -> None:
    out = tmp_path / "cues.csv"
    export(sample_sheet(), "csv", out, ExportOptions(csv_variant="cues"))
    rows = _read(out)
    cues, total = rows[:-1], rows[-1]
    assert [r["Title"] for r in cues][:4] == ["Schön Rosmarin", "Slavonic Dance No. 2", "Ελληνικός χορός", "東京の夜"]
    assert len(cues) == 6
    dvorak = cues[1]
    assert dvorak["Writers"] == "Antonín Dvořák [OSA] [123456789] 100%"
    assert "Łódź Music Publishing [ZAiKS] 33.33%" in dvorak["Publishers"]
    assert dvorak["Time In"] == "00:01:35" and dvorak["Duration"] == "00:37"
    assert total["Title"] == "Total music duration" and total["Duration"] == "00:04:44"
    assert sum(Fraction(r["Duration (s)"]) for r in cues) == Fraction(total["Duration (s)"]) == 284


def test_one_row_per_party_with_timings_once(tmp_path: Path) -> None:
    out = tmp_path / "parties.csv"
    export(sample_sheet(), "csv", out, ExportOptions(csv_variant="parties"))
    rows = _read(out)[:-1]
    sheet = sample_sheet()
    assert len(rows) == sum(len(c.parties) for c in sheet.cues if c.active)
    assert [r["Duration (s)"] for r in rows if r["Title"] == "Slavonic Dance No. 2"] == ["37", "", "", ""]
    ipis = {r["IPI"] for r in rows}
    assert "00012345678" in ipis and "00000123456" in ipis
    assert {r["Company"] for r in rows} >= {"Κρήτη Εκδόσεις", "Издательство Калинка", "東京音楽出版"}
    assert sum(Fraction(r["Duration (s)"]) for r in rows if r["Duration (s)"]) == 284


def test_formula_guard(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    export(sample_sheet(), "csv", out, ExportOptions(csv_variant="parties"))
    rows = _read(out)
    evil = [r for r in rows if "HYPERLINK" in r["Title"]]
    assert evil and all(r["Title"].startswith("'=HYPERLINK") for r in evil)
    assert evil[0]["First Name"] == "'+Plus" and evil[0]["Last Name"] == "'-Minus" and evil[0]["PRO"] == "'@PRO"
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            assert not value.startswith("-") or value == "-"  # nothing starts with '-'


def test_unknown_variant_and_failed_write_keep_previous(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    export(sample_sheet(), "csv", out, ExportOptions())
    before = out.read_bytes()
    with pytest.raises(CsvVariantError, match="nope"):
        export(sample_sheet(), "csv", out, ExportOptions(csv_variant="nope"))
    assert out.read_bytes() == before
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    try:
        target = tmp_path / "ro" / "x.csv"
        if not _writable(tmp_path / "ro"):
            with pytest.raises(WriteError, match="x.csv"):
                export(sample_sheet(), "csv", target, ExportOptions())
    finally:
        (tmp_path / "ro").chmod(0o700)


def _writable(d: Path) -> bool:
    try:
        (d / ".probe").write_text("x")
    except OSError:
        return False
    (d / ".probe").unlink()
    return True  # running as root: permissions do not stop us, nothing to test
