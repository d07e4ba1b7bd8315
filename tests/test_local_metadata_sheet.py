"""Rights metadata sheets (CSV/XLSX): header aliases, row numbers on bad rows, matching."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from cuesheet_app.rights.metadata_sheet import MetadataSheetError, read_metadata_sheet

HEADER = ["File", "Title", "Artists", "Album", "Label", "Release Date", "ISRC", "ISWC", "Library",
          "Catalogue_Number", "Track Number", "Composers", "Publishers", "Notes"]
GOOD = ["tracks/Calm Sea.wav", "Calm Sea", "Ann Arbor; Bo Diddle", "Waves", "Seaside Music", "2021-05-01",
        "GB-ABC-21-00001", "T-034.524.680-1", "SML", "SML 012", "3",
        "Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] 50%", "Seaside Publishing [ASCAP] 100%", "x"]
BAD = ["storm.wav", "Storm", "", "", "", "May 2021", "NOT-AN-ISRC", "", "", "", "", "Jane [??weird??] 50%", "", ""]
NOFILE = ["", "Orphan", "", "", "", "", "", "", "", "", "", "", "", ""]


def _csv(tmp_path: Path, rows: list[list[str]], sep: str = ",") -> Path:
    import csv

    path = tmp_path / "sheet.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=sep).writerows(rows)
    return path


@pytest.mark.parametrize("sep", [",", ";"])
def test_csv_rows_fields_and_errors_with_row_numbers(tmp_path: Path, sep: str) -> None:
    sheet = read_metadata_sheet(_csv(tmp_path, [HEADER, GOOD, BAD, NOFILE], sep))
    assert [r.row for r in sheet.rows] == [2, 3, 4]
    good = sheet.rows[0]
    assert good.ok and good.get("catalogue_number") == "SML 012" and good.get("isrc") == "GBABC2100001"
    assert good.get("iswc") == "T0345246801" and good.artists == ["Ann Arbor", "Bo Diddle"]
    assert sheet.ignored_columns == ["Notes"]
    lines = sheet.error_lines()
    assert any(line.startswith("sheet.csv row 3, column isrc: 'NOT-AN-ISRC'") for line in lines)
    assert any("row 3, column release_date: 'May 2021'" in line for line in lines)
    assert any("row 3, column composers: 'Jane [??weird??] 50%'" in line for line in lines)
    assert any("row 4: needs a 'file' or an 'isrc'" in line for line in lines)
    # A bad value loses only itself: the row keeps its file and title and still applies.
    bad = sheet.rows[1]
    assert bad.ok and bad.values == {"file": "storm.wav", "title": "Storm"}
    assert [p.column for p in bad.problems] == ["isrc", "release_date", "composers"]
    assert len(lines) == 4  # each problem once


def test_xlsx_and_matching_by_file_name_or_isrc(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ISRC", "title", "TRACK_NO", "composer"])
    ws.append(["GBABC2100002", "By Isrc", 7, "Ann Arbor [PRS] 100%"])
    ws.append(["GBABC2100003", "Other", 8, ""])
    path = tmp_path / "lib.xlsx"
    wb.save(path)
    sheet = read_metadata_sheet(path)
    assert [r.get("track_number") for r in sheet.rows] == ["7", "8"]
    assert sheet.match("/x/whatever.wav", isrc="GB-ABC-21-00002").get("title") == "By Isrc"
    assert sheet.match("/x/whatever.wav", isrc="") is None
    csv_sheet = read_metadata_sheet(_csv(tmp_path, [HEADER, GOOD, BAD]))
    assert csv_sheet.match("/music/lib/CALM SEA.WAV").get("title") == "Calm Sea"
    storm = csv_sheet.match("/music/storm.wav")  # the row applies without its bad values
    assert storm is not None and storm.get("title") == "Storm" and storm.get("isrc") == ""


def test_whole_sheet_problems(tmp_path: Path) -> None:
    with pytest.raises(MetadataSheetError, match="nope.csv: metadata sheet not found"):
        read_metadata_sheet(tmp_path / "nope.csv")
    with pytest.raises(MetadataSheetError, match="needs a 'file' or 'isrc' column"):
        read_metadata_sheet(_csv(tmp_path, [["title", "album"], ["a", "b"]]))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK not really a zip")
    with pytest.raises(MetadataSheetError, match="broken.xlsx: not a readable"):
        read_metadata_sheet(broken)
