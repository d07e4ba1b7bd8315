"""The PDF export, read back with pypdf: every title, party and total, in every script."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from cuesheet_app.export import pdf
from cuesheet_app.export.fonts import fonts, markup
from cuesheet_app.export.options import ExportOptions
from cuesheet_app.export.registry import export
from cuesheet_app.export.rows import build
from tests.export_sample import big_sheet, sample_sheet

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "export"


def _text(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _flat(text: str) -> str:
    """Text with line breaks and doubled spaces removed (a wrapped cell still reads as one)."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "sheet.pdf"
    export(sample_sheet(), "pdf", out, ExportOptions())
    return out


def test_every_title_party_and_total(sample_pdf: Path) -> None:
    pages = _text(sample_pdf)
    text = _flat(" ".join(pages))
    sheet = sample_sheet()
    for cue in sheet.cues:
        if cue.active:
            assert _flat(cue.title) in text, cue.title
            for p in cue.parties:
                assert p.display_name in text, p.display_name
        else:
            assert cue.title not in text  # inactive cues are left out by default
    for needle in ("Schön Rosmarin", "Antonín Dvořák", "Łódź", "Θεοδωράκης", "Ελληνικός χορός",
                   "Чайковский", "Калинка", "東京の夜", "東京音楽出版", "山田",
                   "IPI 00012345678", "33.33%", "Total music duration: 00:04:44",
                   "Harbour Lights", "The Long Night", "Northlight Films Ltd", "Jana Nováková",
                   "BI = Background Instrumental", "VV = Visual Vocal", "Page 1 of 1"):
        assert needle in text, needle
    assert "REVISED" not in text


def test_japanese_is_set_in_a_font_that_has_it(sample_pdf: Path) -> None:
    fs = fonts()
    assert fs.fallback, "no CJK font found: install fonts-droid-fallback (make sysdeps)"
    assert markup("東京の夜") == '<font name="CueCJK">東京の夜</font>'
    assert markup("Łódź & Ελλάδα") == "Łódź &amp; Ελλάδα"  # covered by DejaVu: no fallback
    page = PdfReader(sample_pdf).pages[0]
    names = {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}
    assert any("DejaVuSans" in n for n in names) and any("DroidSansFallback" in n for n in names)


def test_multi_page_repeats_headers_and_numbers_pages(tmp_path: Path) -> None:
    out = tmp_path / "long.pdf"
    export(big_sheet(60), "pdf", out, ExportOptions(orientation="portrait", paper_size="Letter"))
    pages = _text(out)
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        flat = _flat(page)
        assert "Cue title" in flat and "Time in" in flat and "Publishers (role, PRO, IPI, share)" in flat
        assert f"Page {n} of {len(pages)}" in flat
        assert "Benchmark Series" in flat
        assert "REVISED (2)" in flat
    every = _flat(" ".join(pages))
    for i in (1, 30, 60):
        assert f"Cue title number {i} with a longer name to wrap" in every
    assert "Surname59-1" in every and "Publisher 59-1 Music Ltd" in every
    box = PdfReader(out).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_revised_is_marked(tmp_path: Path) -> None:
    sheet = sample_sheet()
    sheet.header.classification, sheet.header.revision_number = "Revised", 2
    out = tmp_path / "rev.pdf"
    export(sheet, "pdf", out, ExportOptions())
    text = _flat(" ".join(_text(out)))
    assert text.count("REVISED (2)") >= 2  # title block and footer


@pytest.mark.parametrize(("paper", "orientation", "size"), [
    ("A4", "landscape", (842, 595)), ("A4", "portrait", (595, 842)), ("Letter", "landscape", (792, 612)),
])
def test_paper_and_orientation(tmp_path: Path, paper: str, orientation: str, size: tuple[int, int]) -> None:
    out = tmp_path / "p.pdf"
    export(sample_sheet(), "pdf", out, ExportOptions(paper_size=paper, orientation=orientation))
    box = PdfReader(out).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
    assert "東京の夜" in " ".join(_text(out))


def test_a_cue_taller_than_a_page_still_prints(tmp_path: Path) -> None:
    from fractions import Fraction

    from cuesheet_app.domain.model import Party

    sheet = sample_sheet()
    sheet.cues[1].parties += [Party("E", company=f"Sub publisher {i}", share=Fraction(1)) for i in range(120)]
    sheet.cues[1].title = "Supercalifragilistic" * 12  # one word wider than the column
    out = tmp_path / "tall.pdf"
    export(sheet, "pdf", out, ExportOptions(orientation="portrait"))
    text = _flat(" ".join(_text(out)))
    assert "Sub publisher 0 " in text and "Sub publisher 119 " in text
    assert "Calinka" in text


def test_inactive_cues_when_asked_are_marked(tmp_path: Path) -> None:
    out = tmp_path / "all.pdf"
    export(sample_sheet(), "pdf", out, ExportOptions(include_inactive=True))
    text = _flat(" ".join(_text(out)))
    assert "Dropped Take" in text and "(inactive, not counted)" in text
    assert "Total music duration: 00:04:44" in text


def test_failed_write_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "sheet.pdf"
    export(sample_sheet(), "pdf", out, ExportOptions())
    before = out.read_bytes()

    def crash(data, target) -> None:
        Path(target).write_bytes(b"%PDF-1.4 half")
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(pdf, "render", crash)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        export(sample_sheet(), "pdf", out, ExportOptions())
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.pdf"]


def test_render_page_png_for_review(tmp_path: Path) -> None:
    """Renders page 1 to artifacts/export/ for a human to look at (poppler's pdftoppm)."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sheet = sample_sheet()
    sheet.header.classification, sheet.header.revision_number = "Revised", 2
    target = ARTIFACTS / "cue-sheet.pdf"
    pdf.render(build(sheet, ExportOptions(include_inactive=True)), target)
    subprocess.run(["pdftoppm", "-r", "90", "-png", "-f", "1", "-l", "1", "-singlefile", str(target),
                    str(ARTIFACTS / "cue-sheet-page1")], check=True, timeout=60)
    png = ARTIFACTS / "cue-sheet-page1.png"
    assert png.stat().st_size > 20_000


def test_without_a_cjk_font_text_stays_plain() -> None:
    from dataclasses import replace

    fs = replace(fonts(), fallback=None, fallback_covered=frozenset())
    assert markup("東京 <b>", fs) == "東京 &lt;b&gt;"


def test_empty_sheet_exports_in_every_format(tmp_path: Path) -> None:
    from cuesheet_app.domain.model import CueSheet

    for fmt in ("xlsx", "pdf", "csv"):
        export(CueSheet(), fmt, tmp_path / f"empty.{fmt}", ExportOptions())
    text = _flat(" ".join(_text(tmp_path / "empty.pdf")))
    assert "No music cues" in text and "Total music duration: 00:00:00 (0 cues)" in text
