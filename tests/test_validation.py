from __future__ import annotations

from fractions import Fraction

from cuesheet_app.domain import identifiers as ids
from cuesheet_app.domain.model import Cue, CueSheet, Party
from cuesheet_app.domain.validation import has_errors, validate


def _sheet(*cues: Cue) -> CueSheet:
    s = CueSheet()
    s.header.program_title = "Show"
    s.header.production_company = "Prod Co"
    s.header.program_duration = 25 * 600
    s.cues = list(cues)
    s.sort_and_renumber()
    return s


def _good(start: int = 0, end: int = 250, **kw) -> Cue:
    return Cue(title="Song", usage="BI", start=start, end=end, parties=[
        Party(role="C", first_name="Jane", last_name="Doe", pro="ASCAP", ipi="00012345678", share=Fraction(100)),
        Party(role="E", company="Acme", pro="ASCAP", share=Fraction(100))], **kw)


def codes(sheet: CueSheet) -> list[str]:
    return [f.code for f in validate(sheet)]


def test_clean_sheet_has_no_findings() -> None:
    assert codes(_sheet(_good())) == []


def test_shares_60_plus_60() -> None:
    cue = _good()
    cue.parties = [Party(role="C", last_name="A", share=Fraction(60)), Party(role="C", last_name="B", share=Fraction(60))]
    sheet = _sheet(cue)
    findings = validate(sheet)
    msgs = [f.message for f in findings if f.code == "writer-shares"]
    assert msgs and "120%" in msgs[0]
    assert has_errors(findings)
    assert [p.share for p in sheet.cues[0].parties] == [60, 60]  # validation never changes data


def test_out_before_in_overlap_and_too_much_music() -> None:
    sheet = _sheet(_good(100, 50), _good(0, 300), _good(200, 400))
    sheet.header.program_duration = 100
    found = codes(sheet)
    assert "out-before-in" in found and "overlap" in found and "music-longer-than-program" in found


def test_identifier_checks() -> None:
    assert ids.is_valid_iswc("T-034.524.680-1")
    assert not ids.is_valid_iswc("T-034.524.680-2")
    assert ids.is_valid_isrc("US-RC1-76-07839") and not ids.is_valid_isrc("US-RC1-76-0783")
    assert ids.is_valid_ipi("00012345678") and not ids.is_valid_ipi("1234")
    cue = _good(isrc="XX", iswc="T-034.524.680-2")
    cue.parties[0].ipi = "123"
    found = codes(_sheet(cue))
    assert {"bad-isrc", "bad-iswc", "bad-ipi"} <= set(found)


def test_missing_header_and_profile() -> None:
    sheet = _sheet(_good())
    sheet.header.program_title = ""
    assert "missing-header" in codes(sheet)
    apra = [f for f in validate(_sheet(_good(origin="library")), "apra") if f.code == "missing-field"]
    assert {f.field for f in apra} >= {"catalogue_number", "vocal"}


def test_inactive_cues_are_not_checked() -> None:
    bad = _good(100, 50)
    bad.active = False
    assert codes(_sheet(bad, _good(200, 300))) == []
