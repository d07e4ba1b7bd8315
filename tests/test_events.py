from __future__ import annotations

import json
from fractions import Fraction

import pytest

from cuesheet_app.domain.conversion import ConversionSettings, apply_events, events_to_cues
from cuesheet_app.domain.events import EventsError, parse_events, parse_events_json
from cuesheet_app.domain.model import CueSheet

EXAMPLE = {
    "events": [
        {"start_time_s": 0.0, "end_time_s": 10.0, "music_detected": True, "music_identified": False,
         "detection_confidence": 0.70},
        {"start_time_s": 12.0, "end_time_s": 18.0, "music_detected": True, "music_identified": True,
         "detection_confidence": 0.99, "identification_confidence": 0.76, "title": "Schön Rosmarin",
         "artists": ["Gil Shaham", "Orpheus Chamber Orchestra"], "album": "Violin Romances",
         "label": "Deutsche Grammophon", "release_date": "1996-09-02", "isrc": "DEF059503430"},
    ]
}


def test_example_parses_and_round_trips() -> None:
    doc = parse_events(EXAMPLE)
    assert len(doc.events) == 2
    e = doc.events[1]
    assert e.start == 12 and e.end == 18 and e.title == "Schön Rosmarin"
    assert e.artists == ["Gil Shaham", "Orpheus Chamber Orchestra"]
    assert parse_events(json.loads(doc.to_json())).to_dict() == doc.to_dict()


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ({"events": [{"end_time_s": 3}]}, "event 0, field 'start_time_s': missing"),
        ({"events": [{"start_time_s": 0, "end_time_s": "x"}]}, "event 0, field 'end_time_s'"),
        ({"events": [EXAMPLE["events"][0], {"start_time_s": 5, "end_time_s": 2}]}, "event 1, field 'end_time_s'"),
        ({"events": [{"start_time_s": 0, "end_time_s": 1, "detection_confidence": 7}]}, "detection_confidence"),
        ({"events": [{"start_time_s": 0, "end_time_s": 1, "artists": 3}]}, "artists"),
        ({"events": "nope"}, "'events' must be a list"),
        ([], "expected a JSON object"),
        ({}, "missing the 'events' list"),
    ],
)
def test_malformed_documents_name_event_and_field(doc: object, fragment: str) -> None:
    with pytest.raises(EventsError, match=None) as info:
        parse_events(doc)
    assert fragment in str(info.value)


def test_invalid_json_gives_position() -> None:
    with pytest.raises(EventsError, match=r"line 1, column"):
        parse_events_json('{"events": [', source="x.json")


def test_optional_fields_may_be_null_and_extra_keys_survive() -> None:
    doc = parse_events({"events": [{"start_time_s": 1, "end_time_s": 2, "music_identified": True,
                                    "title": None, "artists": None, "catalogue_ref": "rec:7"}]})
    assert doc.events[0].title is None and doc.events[0].artists == []
    assert doc.to_dict()["events"][0]["catalogue_ref"] == "rec:7"


def test_events_merge_into_cues() -> None:
    sheet = CueSheet()
    sheet.header.frame_rate = "25"
    doc = parse_events({"events": [
        {"start_time_s": 0, "end_time_s": 10, "music_detected": True, "music_identified": True,
         "identification_confidence": 0.9, "title": "A", "isrc": "USRC17607839"},
        {"start_time_s": 11, "end_time_s": 20, "music_detected": True, "music_identified": True,
         "identification_confidence": 0.7, "title": "A", "isrc": "US-RC1-76-07839"},
        {"start_time_s": 30, "end_time_s": 31, "music_detected": True, "music_identified": False},
        {"start_time_s": 40, "end_time_s": 50, "music_detected": True, "music_identified": False,
         "detection_confidence": 0.6},
        {"start_time_s": 60, "end_time_s": 70, "music_detected": False},
    ]})
    cues = events_to_cues(doc, sheet, ConversionSettings(merge_gap_s=Fraction(2), min_length_s=Fraction(3)))
    assert [(c.start, c.end) for c in cues] == [(0, 500), (750, 775), (1000, 1250)]
    assert cues[0].title == "A" and cues[0].isrc == "USRC17607839"
    assert cues[0].provenance.identification_confidence == pytest.approx((0.9 * 10 + 0.7 * 9) / 19, abs=1e-4)
    assert len(cues[0].provenance.source_events) == 2
    assert cues[1].title == "Unidentified music 1" and "short" in cues[1].flags
    assert cues[2].title == "Unidentified music 2" and cues[2].provenance.detection_confidence == 0.6
    dropped = events_to_cues(doc, sheet, ConversionSettings(short_action="drop"))
    assert len(dropped) == 2


def test_rights_from_local_engine_extra_keys() -> None:
    sheet = CueSheet()
    doc = parse_events({"events": [{"start_time_s": 0, "end_time_s": 10, "music_identified": True,
                                    "title": "T", "library": "Lib", "catalogue_number": "LIB001",
                                    "composers": "Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] 50%",
                                    "publishers": "Acme Music [ASCAP] 100%"}]})
    apply_events(sheet, doc, engine="local")
    cue = sheet.cues[0]
    assert cue.origin == "library" and cue.cue_number == "1M01" and cue.seq == 1
    assert [(p.role, p.last_name, p.ipi, p.share) for p in cue.writers] == [
        ("C", "Doe", "00012345678", 50), ("C", "Roe", "", 50)]
    assert cue.publishers[0].company == "Acme Music"
    assert sheet.events[0]["engine"] == "local"
