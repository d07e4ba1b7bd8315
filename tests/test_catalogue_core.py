"""The catalogue itself: lookup order, auto-fill never overwriting, learning, validation, parties."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from cuesheet_app.domain.model import Cue, CueSheet, Party
from cuesheet_app.rights.autofill import fill_cue, fill_cues, fill_sheet_from_path
from cuesheet_app.rights.catalogue import Catalogue, CatalogueError
from cuesheet_app.rights.learn import can_learn, learn_cue
from cuesheet_app.rights.lookup import BY_CATALOGUE_NUMBER, BY_ISRC, BY_TITLE_ARTIST, find_recording
from cuesheet_app.rights.records import Recording, Work
from cuesheet_app.services.projects import add_engine_results
from cuesheet_app.settings.store import Settings
from tests.catalogue_helpers import events_doc, kreisler_parties


@pytest.fixture
def cat(tmp_path: Path):
    with Catalogue(tmp_path / "cat.sqlite") as c:
        yield c


def _add(cat: Catalogue, title: str, parties: list[Party], **rec: object) -> tuple[Work, Recording]:
    work = Work(title=title, parties=parties)
    cat.save_work(work)
    recording = Recording(work_id=work.id, title=title, **rec)  # type: ignore[arg-type]
    cat.save_recording(recording)
    return work, recording


def _writer(last: str) -> list[Party]:
    return [Party(role="C", first_name="A", last_name=last, share=Fraction(100))]


def test_lookup_order_isrc_then_catalogue_number_then_title_artist(cat: Catalogue) -> None:
    _add(cat, "Same Title", _writer("ByIsrc"), isrc="USRC17607839", artists=["X"])
    _add(cat, "Other Title", _writer("ByCode"), library="KPM", catalogue_number="KPM 1043", track_number="7")
    _add(cat, "Same Title", _writer("ByTitle"), artists=["Y"])
    cue = Cue(title="Same Title", artists=["Y"], isrc="US-RC1-76-07839", library="kpm",
              catalogue_number="KPM-1043", track_number="07")
    m = find_recording(cat, cue)
    assert m and m.how == BY_ISRC and m.work and m.work.parties[0].last_name == "ByIsrc"
    cue.isrc = "GBAAA0000001"  # unknown ISRC: the catalogue code decides
    m = find_recording(cat, cue)
    assert m and m.how == BY_CATALOGUE_NUMBER and m.work and m.work.parties[0].last_name == "ByCode"
    cue.track_number = "8"  # the code names an album; another track of it is not this recording
    m = find_recording(cat, cue)
    assert m and m.how == BY_TITLE_ARTIST and m.work and m.work.parties[0].last_name == "ByTitle"
    cue.artists = ["Nobody"]
    assert find_recording(cat, cue) is None


def test_title_match_needs_artist_and_normalises(cat: Catalogue) -> None:
    _add(cat, "Schön Rosmarin", _writer("K"), artists=["Gil Shaham"])
    assert find_recording(cat, Cue(title="schon  ROSMARIN", artists=["gil shaham"])) is not None
    assert find_recording(cat, Cue(title="Schön Rosmarin", artists=[])) is None
    # The engine's placeholder is never looked up by title.
    assert find_recording(cat, Cue(title="Schön Rosmarin", artists=["Gil Shaham"],
                                   flags=["unidentified"])) is None


def test_autofill_fills_only_empty_fields_and_marks_provenance(cat: Catalogue) -> None:
    work, rec = _add(cat, "Morning Run", kreisler_parties(), isrc="USRC17607839", album="Catalogue Album",
                     library="KPM", catalogue_number="KPM 1043")
    work.iswc = "T-034.524.680-1"
    cat.save_work(work)
    typed = Party(role="C", first_name="Fritz", last_name="Kreisler")  # user typed the name only
    cue = Cue(title="Morning Run", isrc="USRC17607839", album="Typed Album", parties=[typed])
    filled = fill_cue(cue, find_recording(cat, cue))
    assert cue.album == "Typed Album"  # never overwritten
    assert cue.library == "KPM" and cue.catalogue_number == "KPM 1043" and cue.origin == "library"
    assert cue.iswc == "T0345246801"
    # The typed writer is kept (not duplicated) and completed; the missing publisher group is added.
    assert [p.display_name for p in cue.writers] == ["Fritz Kreisler"]
    assert cue.writers[0].ipi == "00012345678" and cue.writers[0].share == 100
    assert [p.display_name for p in cue.publishers] == ["Schott Music"]
    assert {"library", "iswc", "parties"} <= set(filled) and "album" not in filled
    assert cue.provenance.filled_from_catalogue and cue.provenance.catalogue_ref == f"recording:{rec.id}"


def test_autofill_keeps_user_parties_with_other_names(cat: Catalogue) -> None:
    _add(cat, "Morning Run", kreisler_parties(), isrc="USRC17607839")
    mine = [Party(role="C", first_name="My", last_name="Composer", share=Fraction(100)),
            Party(role="E", company="My Pub", share=Fraction(100))]
    cue = Cue(title="Morning Run", isrc="USRC17607839", parties=[Party.from_dict(p.to_dict()) for p in mine])
    report = fill_cues(cat, [cue])
    assert report.matched == 1
    assert [p.to_dict() for p in cue.parties] == [p.to_dict() for p in mine]


def test_learn_and_reuse_across_two_projects(tmp_path: Path) -> None:
    settings = Settings(catalogue_path=str(tmp_path / "rights.sqlite"))
    # Episode 1: no catalogue yet; identification still works and the rights are empty.
    ep1 = CueSheet()
    add_engine_results(ep1, events_doc(), "local", settings)
    cue1 = next(c for c in ep1.cues if c.isrc)
    assert cue1.parties == [] and not cue1.provenance.filled_from_catalogue
    # The supervisor corrects the rights and saves them to the catalogue.
    cue1.parties = kreisler_parties()
    cue1.iswc = "T-034.524.680-1"
    assert can_learn(cue1)
    with Catalogue(settings.catalogue()) as cat:
        result = learn_cue(cat, cue1)
        assert result.new_recording and result.new_work
        again = learn_cue(cat, cue1)  # learning twice updates, never duplicates
        assert (again.recording_id, again.work_id) == (result.recording_id, result.work_id)
        assert cat.counts()["recordings"] == 1 and cat.counts()["works"] == 1
    # Episode 2: the identical recording is filled from the catalogue.
    ep2 = CueSheet()
    add_engine_results(ep2, events_doc(), "local", settings)
    cue2 = next(c for c in ep2.cues if c.isrc)
    assert [p.to_dict() for p in cue2.parties] == [p.to_dict() for p in kreisler_parties()]
    assert cue2.iswc == "T0345246801"
    assert cue2.provenance.filled_from_catalogue
    assert cue2.provenance.catalogue_ref == f"recording:{result.recording_id}"
    unidentified = next(c for c in ep2.cues if not c.isrc)
    assert unidentified.parties == [] and not unidentified.provenance.filled_from_catalogue


def test_learn_replaces_credits_and_keeps_alt_title(cat: Catalogue) -> None:
    cue = Cue(title="Morning Run", isrc="USRC17607839", parties=kreisler_parties())
    first = learn_cue(cat, cue)
    cue.title = "Morning Run (30s edit)"
    cue.parties = [Party(role="CA", first_name="Jane", last_name="Doe", share=Fraction(100))]
    learn_cue(cat, cue)
    work = cat.get_work(first.work_id)
    assert work is not None
    assert [p.display_name for p in work.parties] == ["Jane Doe"]
    assert work.alt_titles == ["Morning Run (30s edit)"]


def test_cannot_learn_placeholder_or_rightless_cue(cat: Catalogue) -> None:
    placeholder = Cue(title="Unidentified music 1", flags=["unidentified"], parties=kreisler_parties())
    assert not can_learn(placeholder)
    with pytest.raises(CatalogueError, match="name the music"):
        learn_cue(cat, placeholder)
    assert not can_learn(Cue(title="Song"))
    assert cat.counts()["works"] == 0


@pytest.mark.parametrize(("parties", "iswc", "message"), [
    ([Party(role="C", last_name="A", share=Fraction(60)), Party(role="C", last_name="B", share=Fraction(60))],
     "", "writer shares add up to 120%"),
    ([Party(role="E", company="P", share=Fraction(50))], "", "publisher shares add up to 50%"),
    ([Party(role="C", last_name="A", ipi="12345")], "", "IPI '12345' of A must be 9 to 11 digits"),
    ([], "T-034.524.680-2", "not a valid ISWC"),
    ([Party(role="ZZ", last_name="A")], "", "unknown role"),
])
def test_validation_on_entry_refuses_and_writes_nothing(cat: Catalogue, parties: list[Party], iswc: str,
                                                        message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        cat.save_work(Work(title="W", iswc=iswc, parties=parties))
    assert cat.counts() == {"works": 0, "recordings": 0, "parties": 0, "work_parties": 0}


def test_duplicate_isrc_and_iswc_are_refused(cat: Catalogue) -> None:
    _add(cat, "One", [], isrc="USRC17607839")
    with pytest.raises(CatalogueError, match="ISRC USRC17607839 is already used by recording 1"):
        cat.save_recording(Recording(title="Two", isrc="US-RC1-76-07839"))
    cat.save_work(Work(title="A", iswc="T-034.524.680-1"))
    with pytest.raises(CatalogueError, match="ISWC T0345246801 is already used"):
        cat.save_work(Work(title="B", iswc="T0345246801"))
    with pytest.raises(CatalogueError, match="not a valid ISRC"):
        cat.save_recording(Recording(title="Three", isrc="XX"))


def test_party_directory_reuses_and_merges(cat: Catalogue) -> None:
    cat.save_work(Work(title="A", parties=[Party(role="C", first_name="Jane", last_name="Doe", pro="ASCAP")]))
    cat.save_work(Work(title="B", parties=[Party(role="C", first_name="jane", last_name="DOE",
                                                 ipi="00012345678")]))
    cat.save_work(Work(title="C", parties=[Party(role="C", first_name="J.", last_name="Doe")]))
    jane = cat.parties("jane doe")
    assert len(jane) == 1 and jane[0].uses == 2 and jane[0].pro == "ASCAP" and jane[0].ipi == "00012345678"
    initials = cat.parties("j doe")
    assert len(initials) == 1
    moved = cat.merge_parties(jane[0].id, [initials[0].id])
    assert moved == 1
    work_c = cat.works_by_title("C")[0]
    assert work_c.parties[0].display_name == "Jane Doe" and work_c.parties[0].ipi == "00012345678"
    assert len(cat.parties()) == 1
    entry = cat.parties()[0]
    entry.pro = "PRS"
    cat.update_party(entry)
    assert cat.works_by_title("A")[0].parties[0].pro == "PRS"  # every credit follows the directory


def test_search_covers_title_writer_publisher_isrc_iswc(cat: Catalogue) -> None:
    work, _ = _add(cat, "Schön Rosmarin", kreisler_parties(), isrc="DEF059503430", artists=["Gil Shaham"])
    work.iswc = "T-034.524.680-1"
    work.alt_titles = ["Lovely Rosemary"]
    cat.save_work(work)
    cat.save_work(Work(title="Liebesleid", parties=kreisler_parties()))  # a work with no recording
    _add(cat, "Unrelated", _writer("Other"))
    for text, expected in [("rosmarin", ["Schön Rosmarin"]), ("lovely", ["Schön Rosmarin"]),
                           ("kreisler", ["Liebesleid", "Schön Rosmarin"]), ("schott", ["Liebesleid", "Schön Rosmarin"]),
                           ("DE-F05-95-03430", ["Schön Rosmarin"]), ("T-034.524.680-1", ["Schön Rosmarin"]),
                           ("shaham", ["Schön Rosmarin"]), ("nothing like it", [])]:
        assert [h.title for h in cat.search(text)] == expected, text
    assert len(cat.search("")) == 3


def test_fill_sheet_from_path_is_quiet_without_or_with_a_broken_catalogue(tmp_path: Path) -> None:
    sheet = CueSheet(cues=[Cue(title="X", isrc="USRC17607839")])
    assert fill_sheet_from_path(sheet, tmp_path / "missing.sqlite") is None
    assert not (tmp_path / "missing.sqlite").exists()
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    assert fill_sheet_from_path(sheet, broken) is None
    assert broken.read_bytes() == b"this is not a database" * 100


def test_same_name_other_society_is_another_person_but_an_ipi_correction_sticks(cat: Catalogue) -> None:
    cat.save_work(Work(title="A", parties=[Party(role="C", first_name="John", last_name="Smith", pro="BMI")]))
    cat.save_work(Work(title="B", parties=[Party(role="C", first_name="John", last_name="Smith", pro="PRS")]))
    assert sorted(e.pro for e in cat.parties("john smith")) == ["BMI", "PRS"]
    assert cat.works_by_title("B")[0].parties[0].pro == "PRS"
    # A learned correction of a society, for a party known by IPI, updates the directory entry.
    cue = Cue(title="C", isrc="USRC17607839",
              parties=[Party(role="C", first_name="Jane", last_name="Doe", pro="ASCAP", ipi="00012345678",
                             share=Fraction(100))])
    learn_cue(cat, cue)
    cue.parties[0].pro = "BMI"
    result = learn_cue(cat, cue)
    work = cat.get_work(result.work_id)
    assert work is not None and work.parties[0].pro == "BMI"
    assert len(cat.parties("jane doe")) == 1
