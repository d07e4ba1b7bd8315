"""The season report: every cue of every episode, and totals per track, per publisher, per usage.

Built from each sheet's export rows (``rows.build``), so a season total is the sum of what the
episodes' own sheets print. ``season.csv`` holds four sections one after another (cues, then
the three totals), each with its own header row and a blank line between; ``season.xlsx`` has
one worksheet per section plus the episodes with their status.

A publisher's *weighted* seconds are the cue's duration times the publisher's share of the
publishing side, which is what a publisher's royalty scales with; plain seconds count every
cue the publisher appears on in full.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import CueSheet
from cuesheet_app.domain.status import status_line
from cuesheet_app.domain.vocab import USAGES, label_of
from cuesheet_app.export import rows as rows_mod
from cuesheet_app.export.rows import csv_safe
from cuesheet_app.storage.atomic import atomic_write_bytes, atomic_write_with

CUE_COLUMNS = ["Episode #", "Episode title", "Status", "Seq #", "Cue #", "Title", "Usage", "Time In", "Time Out",
               "Duration", "Duration (s)", "Origin", "Library", "Catalogue #", "ISRC", "Writers", "Publishers"]
TRACK_COLUMNS = ["Title", "Library", "Catalogue #", "ISRC", "Episodes", "Uses", "Duration", "Duration (s)"]
PUBLISHER_COLUMNS = ["Publisher", "PRO", "Episodes", "Cues", "Duration", "Duration (s)", "Weighted (s)"]
USAGE_COLUMNS = ["Usage", "Label", "Episodes", "Cues", "Duration", "Duration (s)"]


@dataclass
class Tally:
    key: tuple[str, ...]
    episodes: set[str] = field(default_factory=set)
    uses: int = 0
    seconds: Fraction = Fraction(0)
    weighted: Fraction = Fraction(0)


@dataclass
class SeasonReport:
    cues: list[list[Any]] = field(default_factory=list)
    tracks: list[Tally] = field(default_factory=list)
    publishers: list[Tally] = field(default_factory=list)
    usages: list[Tally] = field(default_factory=list)
    episodes: list[tuple[str, str, str, int, Fraction]] = field(default_factory=list)  # #, title, status, cues, s


def _episode_label(sheet: CueSheet) -> str:
    return sheet.header.episode_number or sheet.header.episode_title


def build(sheets: Iterable[CueSheet]) -> SeasonReport:
    report = SeasonReport()
    tracks: dict[tuple[str, ...], Tally] = {}
    publishers: dict[tuple[str, ...], Tally] = {}
    usages: dict[tuple[str, ...], Tally] = {}
    ordered = sorted(sheets, key=lambda s: (_natural(s.header.episode_number), s.header.episode_title))
    for sheet in ordered:
        data = rows_mod.build(sheet)
        ep = _episode_label(sheet)
        status = status_line(sheet.header)
        active = [r for r in data.rows if r.active]
        report.episodes.append((sheet.header.episode_number, sheet.header.episode_title, status, len(active),
                                data.total_music))
        for r in active:
            c = r.cue
            writers = "; ".join(p.describe() for p in r.writers)
            pubs = "; ".join(p.describe() for p in r.publishers)
            report.cues.append([sheet.header.episode_number, sheet.header.episode_title, status, r.seq,
                                c.cue_number, r.title, r.usage, r.time_in.text(), r.time_out.text(),
                                r.duration_text(), float(r.duration), c.origin, c.library, c.catalogue_number,
                                c.isrc, writers, pubs])
            tkey = (c.title.strip(), c.library.strip(), c.catalogue_number.strip(), c.isrc.strip())
            _add(tracks, tkey, ep, r.duration)
            _add(usages, (r.usage,), ep, r.duration)
            pub_total = sum((p.share for p in r.publishers), Fraction(0))
            for p in r.publishers:
                t = _add(publishers, (p.name, p.pro), ep, r.duration)
                share = p.share / pub_total if pub_total else Fraction(1, max(1, len(r.publishers)))
                t.weighted += r.duration * share
    report.tracks = sorted(tracks.values(), key=lambda t: (-t.seconds, t.key))
    report.publishers = sorted(publishers.values(), key=lambda t: (-t.weighted, t.key))
    report.usages = sorted(usages.values(), key=lambda t: (-t.seconds, t.key))
    return report


def _add(table: dict[tuple[str, ...], Tally], key: tuple[str, ...], episode: str, seconds: Fraction) -> Tally:
    t = table.setdefault(key, Tally(key))
    t.episodes.add(episode)
    t.uses += 1
    t.seconds += seconds
    return t


def _natural(text: str) -> tuple[int, str]:
    digits = "".join(ch for ch in text if ch.isdigit())
    return (int(digits) if digits else 1 << 30, text)


def _duration(seconds: Fraction) -> str:
    return tc.format_duration(seconds, tc.Rounding.EXACT, hours=True)


def sections(report: SeasonReport) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(title, columns, rows) for each section, shared by the CSV and the workbook."""
    return [
        ("Cues", CUE_COLUMNS, report.cues),
        ("By track", TRACK_COLUMNS, [[*t.key, len(t.episodes), t.uses, _duration(t.seconds), float(t.seconds)]
                                     for t in report.tracks]),
        ("By publisher", PUBLISHER_COLUMNS, [[*t.key, len(t.episodes), t.uses, _duration(t.seconds),
                                              float(t.seconds), round(float(t.weighted), 3)]
                                             for t in report.publishers]),
        ("By usage", USAGE_COLUMNS, [[t.key[0], label_of(USAGES, t.key[0]), len(t.episodes), t.uses,
                                      _duration(t.seconds), float(t.seconds)] for t in report.usages]),
    ]


def render_csv(report: SeasonReport) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    for i, (title, columns, rows) in enumerate(sections(report)):
        if i:
            w.writerow([])
        w.writerow([title])
        w.writerow(columns)
        for row in rows:
            w.writerow([csv_safe(v) if isinstance(v, str) else v for v in row])
    return buf.getvalue()


def build_workbook(report: SeasonReport) -> Workbook:
    wb = Workbook()
    bold = Font(bold=True)
    first = True
    for title, columns, rows in sections(report):
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        _rows(ws, columns, rows, bold)
    eps = wb.create_sheet("Episodes")
    _rows(eps, ["Episode #", "Episode title", "Status", "Cues", "Total music", "Total music (s)"],
          [[n, t, s, c, _duration(sec), float(sec)] for n, t, s, c, sec in report.episodes], bold)
    return wb


def _rows(ws: Any, columns: list[str], rows: list[list[Any]], bold: Font) -> None:
    ws.append(columns)
    for cell in ws[1]:
        cell.font = bold
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value:
                cell.data_type = "s"  # never a formula, whatever the text starts with
                if rows_mod.needs_guard(cell.value):
                    cell.quotePrefix = True
    ws.freeze_panes = "A2"
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(10, min(40, len(name) + 6))


def write(sheets: Iterable[CueSheet], out_dir: Path) -> tuple[Path, Path]:
    """``season.csv`` and ``season.xlsx`` in ``out_dir``, each written atomically."""
    report = build(list(sheets))
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = out_dir / "season.csv", out_dir / "season.xlsx"
    atomic_write_bytes(csv_path, render_csv(report).encode("utf-8-sig"))
    atomic_write_with(xlsx_path, build_workbook(report).save)
    return csv_path, xlsx_path
