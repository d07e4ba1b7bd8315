"""Two versions of a cue sheet side by side: which cues were added, removed or changed, and how.

Cues are paired by id first (a revision keeps the ids of the cues it carried forward, as
Cuebook keeps cue ids), then by the music they hold (``revision.match_cues``), so two
independently made sheets of one episode still compare cue by cue. Times are compared in
program seconds at millisecond precision, so sheets at different frame rates or with
different media start timecodes compare by what a PRO would read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cuesheet_app.domain.model import Cue, CueSheet
from cuesheet_app.domain.parties import format_parties
from cuesheet_app.domain.revision import TOLERANCE_S, match_cues, needs_print

# (field, label) in the order a change is read out
COMPARED_FIELDS: tuple[tuple[str, str], ...] = (
    ("start", "start"), ("end", "end"), ("cue_number", "cue number"), ("title", "title"),
    ("usage", "usage"), ("origin", "origin"), ("vocal", "vocal"), ("artists", "artists"),
    ("isrc", "ISRC"), ("iswc", "ISWC"), ("library", "library"), ("catalogue_number", "catalogue number"),
    ("album", "album"), ("label", "label"), ("parties", "parties"), ("notes", "notes"), ("active", "active"),
)


@dataclass(frozen=True)
class CueSide:
    """A cue as a diff shows it: by title and program times (seconds)."""

    id: str
    cue_number: str
    title: str
    start: Fraction
    end: Fraction

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "start": _json_seconds(self.start), "end": _json_seconds(self.end),
                "cue_number": self.cue_number}


@dataclass(frozen=True)
class CueChange:
    old: CueSide
    new: CueSide
    fields: dict[str, tuple[Any, Any]]  # field -> (old, new), in COMPARED_FIELDS order

    def to_json(self) -> dict[str, Any]:
        return {**self.new.to_json(),
                "old": self.old.to_json(),
                "fields": {k: {"old": _json_value(a), "new": _json_value(b)} for k, (a, b) in self.fields.items()}}


@dataclass
class SheetDiff:
    added: list[CueSide] = field(default_factory=list)
    removed: list[CueSide] = field(default_factory=list)
    changed: list[CueChange] = field(default_factory=list)
    unchanged: list[tuple[CueSide, CueSide]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def mark_of(self, cue_id: str, side: str = "new") -> str:
        """"added"/"changed"/"unchanged" for a cue of the new sheet, "removed"/… for the old one."""
        if side == "new":
            if any(c.id == cue_id for c in self.added):
                return "added"
            if any(c.new.id == cue_id for c in self.changed):
                return "changed"
            return "unchanged"
        if any(c.id == cue_id for c in self.removed):
            return "removed"
        if any(c.old.id == cue_id for c in self.changed):
            return "changed"
        return "unchanged"

    def changed_fields(self, cue_id: str) -> dict[str, tuple[Any, Any]]:
        for c in self.changed:
            if c.new.id == cue_id or c.old.id == cue_id:
                return c.fields
        return {}

    def to_json(self) -> dict[str, Any]:
        return {"added": [c.to_json() for c in self.added],
                "removed": [c.to_json() for c in self.removed],
                "changed": [c.to_json() for c in self.changed],
                "unchanged": len(self.unchanged)}


def side(sheet: CueSheet, cue: Cue) -> CueSide:
    return CueSide(cue.id, cue.cue_number, cue.title, _ms(sheet.program_seconds(cue.start)),
                   _ms(sheet.program_seconds(cue.end)))


def cue_values(sheet: CueSheet, cue: Cue) -> dict[str, Any]:
    """The compared fields as plain values (times in program seconds, parties as text)."""
    values: dict[str, Any] = {}
    for name, _ in COMPARED_FIELDS:
        if name == "start":
            values[name] = _ms(sheet.program_seconds(cue.start))
        elif name == "end":
            values[name] = _ms(sheet.program_seconds(cue.end))
        elif name == "parties":
            values[name] = format_parties(sorted(cue.parties, key=lambda p: (p.role, p.display_name)))
        elif name == "artists":
            values[name] = ", ".join(cue.artists)
        else:
            values[name] = getattr(cue, name)
    return values


def diff_sheets(old: CueSheet, new: CueSheet, include_inactive: bool = True) -> SheetDiff:
    """What changed from ``old`` to ``new``, cue by cue."""
    old_cues = [c for c in old.cues if include_inactive or c.active]
    new_cues = [c for c in new.cues if include_inactive or c.active]
    new_by_id = {c.id: c for c in new_cues}
    pairs: list[tuple[Cue, Cue]] = []
    for c in old_cues:
        if c.id in new_by_id:
            pairs.append((c, new_by_id[c.id]))
    paired_old = {o.id for o, _ in pairs}
    paired_new = {n.id for _, n in pairs}
    rest_old = [c for c in old_cues if c.id not in paired_old]
    rest_new = [c for c in new_cues if c.id not in paired_new]
    if rest_old and rest_new:
        a, b = _with_cues(old, rest_old), _with_cues(new, rest_new)
        for m in match_cues(a, b):
            pairs.append((m.old, m.new))
            paired_old.add(m.old.id)
            paired_new.add(m.new.id)
    # music no engine named has nothing to match by but its place: the same times in both
    # sheets are the same cue (a moved one shows as removed + added, which is what is known)
    for o in [c for c in old_cues if c.id not in paired_old and needs_print(old, c)]:
        for n in [c for c in new_cues if c.id not in paired_new and needs_print(new, c)]:
            if abs(old.program_seconds(o.start) - new.program_seconds(n.start)) < TOLERANCE_S and \
                    abs(old.program_seconds(o.end) - new.program_seconds(n.end)) < TOLERANCE_S:
                pairs.append((o, n))
                paired_old.add(o.id)
                paired_new.add(n.id)
                break
    result = SheetDiff()
    for o, n in sorted(pairs, key=lambda p: (p[1].start, p[1].id)):
        before, after = cue_values(old, o), cue_values(new, n)
        changes = {k: (before[k], after[k]) for k, _ in COMPARED_FIELDS if before[k] != after[k]}
        if changes:
            result.changed.append(CueChange(side(old, o), side(new, n), changes))
        else:
            result.unchanged.append((side(old, o), side(new, n)))
    result.added = [side(new, c) for c in sorted(new_cues, key=lambda c: c.start) if c.id not in paired_new]
    result.removed = [side(old, c) for c in sorted(old_cues, key=lambda c: c.start) if c.id not in paired_old]
    return result


def describe(diff: SheetDiff) -> list[str]:
    """The diff as lines a person reads (CLI, the revised PDF's last page)."""
    lines: list[str] = []
    if diff.added:
        lines.append(f"Added ({len(diff.added)}):")
        lines += [f"  + {_label(c)}  {format_time(c.start)}–{format_time(c.end)}" for c in diff.added]
    if diff.removed:
        lines.append(f"Removed ({len(diff.removed)}):")
        lines += [f"  - {_label(c)}  {format_time(c.start)}–{format_time(c.end)}" for c in diff.removed]
    if diff.changed:
        lines.append(f"Changed ({len(diff.changed)}):")
        for c in diff.changed:
            lines.append(f"  ~ {_label(c.new)}: " + "; ".join(describe_field(k, a, b) for k, (a, b) in c.fields.items()))
    lines.append(f"Unchanged: {len(diff.unchanged)}")
    return lines


def describe_field(name: str, old: Any, new: Any) -> str:
    label = dict(COMPARED_FIELDS).get(name, name)
    if name in ("start", "end"):
        return f"{label} {format_time(old)} → {format_time(new)}"
    return f"{label} {_text(old)} → {_text(new)}"


def format_time(seconds: Fraction) -> str:
    """Program time as H:MM:SS.mmm (negative before program start)."""
    sign = "-" if seconds < 0 else ""
    ms = round(abs(seconds) * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{sign}{h}:{m:02d}:{s:02d}.{ms:03d}"


def _label(c: CueSide) -> str:
    return f"{c.cue_number} “{c.title}”" if c.cue_number else f"“{c.title}”"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"“{value}”" if value not in ("", None) else "(empty)"


def _ms(value: Fraction) -> Fraction:
    return Fraction(round(value * 1000), 1000)


def _json_seconds(value: Fraction) -> float | int:
    return int(value) if value.denominator == 1 else float(value)


def _json_value(value: Any) -> Any:
    return _json_seconds(value) if isinstance(value, Fraction) else value


def _with_cues(sheet: CueSheet, cues: list[Cue]) -> CueSheet:
    """The sheet with only some of its cues, sharing header and stored engine runs (read-only use)."""
    return CueSheet(header=sheet.header, media=sheet.media, cues=cues, events=sheet.events)
