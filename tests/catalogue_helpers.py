"""Shared fixtures for the rights catalogue tests: small sheets and events written at test time."""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path

from cuesheet_app.domain.events import EventsDocument, parse_events
from cuesheet_app.domain.model import Party

HEADER = ["Library Name", "Album Code", "Track Title", "Track Number", "Artist(s)", "Composer(s)",
          "Publisher(s)", "ISRC", "ISWC", "Duration"]
GOOD_ROWS = [
    ["KPM", "KPM 1043", "Morning Run", "01", "", "Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] 50%",
     "Acme Music [ASCAP] 100%", "US-RC1-76-07839", "T-034.524.680-1", "2:35"],
    ["KPM", "KPM 1043", "Evening Walk", "02", "", "Jane Doe [ASCAP] 100%", "Acme Music 100%", "", "", "1:10"],
]
BAD_ROWS = [
    ["KPM", "KPM 1043", "Bad Shares", "03", "", "Jane Doe 60%; John Roe 60%", "", "", "", ""],
    ["KPM", "KPM 1043", "Bad ISWC", "04", "", "Jane Doe 100%", "", "", "T-034.524.680-2", ""],
    ["KPM", "KPM 1043", "Bad IPI", "05", "", "Jane Doe [123] 100%", "", "", "", ""],
    ["KPM", "KPM 1043", "Dupe", "06", "", "", "", "USRC17607839", "", ""],
]


def write_sheet(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def kreisler_parties() -> list[Party]:
    return [
        Party(role="C", first_name="Fritz", last_name="Kreisler", pro="GEMA", ipi="00012345678",
              share=Fraction(100)),
        Party(role="E", company="Schott Music", pro="GEMA", share=Fraction(100)),
    ]


def events_doc(isrc: str = "DEF059503430", title: str = "Schön Rosmarin") -> EventsDocument:
    return parse_events({"events": [
        {"start_time_s": 0.0, "end_time_s": 10.0, "music_detected": True, "music_identified": False,
         "detection_confidence": 0.7},
        {"start_time_s": 12.0, "end_time_s": 18.0, "music_detected": True, "music_identified": True,
         "detection_confidence": 0.99, "identification_confidence": 0.76, "title": title,
         "artists": ["Gil Shaham", "Orpheus Chamber Orchestra"], "album": "Violin Romances",
         "label": "Deutsche Grammophon", "release_date": "1996-09-02", "isrc": isrc},
    ]})
