"""Edit operations on a CueSheet, each returning its exact inverse (as in Gaupol).

``op.apply(sheet, effect)`` changes the sheet and returns the operation that
undoes it, so undo is exact by construction (no snapshots of the whole sheet):
``op.apply(s).apply(s)`` leaves ``s.to_dict()`` as it was. Operations carry all
the data they need (new cue ids included), so redoing one reproduces the same
sheet. ``effect`` collects what changed so the UI can refresh only that.

The builders (``add_cue``, ``split_cue``, ``merge_cues`` ...) check the request
against the sheet, raise ``EditError`` with a readable message when it cannot
be done, and return a ``Compound`` that also keeps the sheet in time order with
sequence numbers 1..n (``renumber``). Cue times are whole frames.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cuesheet_app.domain.model import Cue, CueSheet, Party, ProductionHeader, new_id

UNIDENTIFIED_FLAG = "unidentified"
_CUE_FIELDS = set(Cue.__dataclass_fields__) - {"id"}
_HEADER_FIELDS = set(ProductionHeader.__dataclass_fields__)
# Fields holding text that find & replace may change (lists: each item; parties: names).
TEXT_FIELDS: tuple[str, ...] = (
    "cue_number", "title", "isrc", "iswc", "artists", "album", "label", "library",
    "catalogue_number", "track_number", "notes", "parties",
)


class EditError(ValueError):
    """An edit that cannot be made (the message says why, naming the cue and field)."""


@dataclass
class Effect:
    """What an applied edit touched: cue fields, the cue list's membership/order, the header."""

    cue_fields: dict[str, set[str]] = field(default_factory=dict)
    structure: bool = False  # cues added/removed/reordered (or sequence numbers changed)
    header: set[str] = field(default_factory=set)

    def touch(self, cue_id: str, names: Iterable[str]) -> None:
        self.cue_fields.setdefault(cue_id, set()).update(names)


class Edit:
    """Base of all operations."""

    description: str = "Edit"

    def apply(self, sheet: CueSheet, effect: Effect | None = None) -> Edit:  # pragma: no cover
        raise NotImplementedError


def _copy_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy_value(v) for v in value]
    if isinstance(value, Party):
        return Party.from_dict(value.to_dict())
    if hasattr(value, "to_dict") and hasattr(type(value), "from_dict"):
        return type(value).from_dict(value.to_dict())
    if isinstance(value, tuple):
        return tuple(_copy_value(v) for v in value)
    return value


@dataclass
class SetFields(Edit):
    """Set fields of one cue; the inverse sets the old values back."""

    cue_id: str
    values: dict[str, Any]
    description: str = "Edit cue"

    def apply(self, sheet: CueSheet, effect: Effect | None = None) -> Edit:
        cue = _cue(sheet, self.cue_id)
        old = {}
        for name, value in self.values.items():
            old[name] = getattr(cue, name)
            setattr(cue, name, _copy_value(value))
        if effect is not None:
            effect.touch(self.cue_id, self.values)
        return SetFields(self.cue_id, old, self.description)


@dataclass
class ShiftCues(Edit):
    """Move cues by a frame delta, stopping at frame 0 (the inverse moves back by what was done)."""

    cue_ids: list[str]
    delta: int
    description: str = "Move cues"

    def apply(self, sheet: CueSheet, effect: Effect | None = None) -> Edit:
        cues = [_cue(sheet, i) for i in self.cue_ids]
        delta = self.delta
        if cues:
            delta = max(delta, -min(c.start for c in cues))
        for c in cues:
            c.start += delta
            c.end += delta
            if effect is not None:
                effect.touch(c.id, ("start", "end"))
        return ShiftCues(list(self.cue_ids), -delta, self.description)


@dataclass
class Splice(Edit):
    """Remove some cues and insert others at list positions (add, remove, split and merge).

    ``insert`` holds (index, cue) pairs applied in ascending index order after
    the removals. The cue objects themselves go into the sheet and the inverse
    holds the very objects it took out, so undo restores object identity too (views
    that hold cue references stay valid). Like every operation here, a Splice is
    meant to be applied once, its inverse next, and so on (undo-stack order).
    """

    remove_ids: list[str]
    insert: list[tuple[int, Cue]]
    description: str = "Change cues"

    def apply(self, sheet: CueSheet, effect: Effect | None = None) -> Edit:
        removed: list[tuple[int, Cue]] = []
        drop = set(self.remove_ids)
        for i, c in enumerate(sheet.cues):
            if c.id in drop:
                removed.append((i, c))
        if len(removed) != len(drop):
            missing = drop - {c.id for _, c in removed}
            raise EditError(f"no cue with id {sorted(missing)[0]!r}")
        sheet.cues[:] = [c for c in sheet.cues if c.id not in drop]
        inserted_ids = []
        for index, cue in sorted(self.insert, key=lambda p: p[0]):
            sheet.cues.insert(index, cue)
            inserted_ids.append(cue.id)
        if effect is not None:
            effect.structure = True
        return Splice(inserted_ids, removed, self.description)


@dataclass
class Reorder(Edit):
    """Put the cues in a given order and give them given sequence numbers."""

    order: list[str]
    seqs: list[int]
    description: str = "Renumber"

    def apply(self, sheet: CueSheet, effect: Effect | None = None) -> Edit:
        old_order = [c.id for c in sheet.cues]
        old_seqs = [c.seq for c in sheet.cues]
        if old_order == self.order and old_seqs == self.seqs:
            return Reorder(old_order, old_seqs, self.description)
        by_id = {c.id: c for c in sheet.cues}
        if set(by_id) != set(self.order) or len(self.order) != len(sheet.cues):
            raise EditError("cue list changed under a reorder")
        sheet.cues[:] = [by_id[i] for i in self.order]
        for c, seq in zip(sheet.cues, self.seqs, strict=True):
            c.seq = seq
        if effect is not None:
            effect.structure = True
        return Reorder(old_order, old_seqs, self.description)


@dataclass
class SetHeader(Edit):
    """Set production header fields."""

    values: dict[str, Any]
    description: str = "Edit header"

    def apply(self, sheet: CueSheet, effect: Effect | None = None) -> Edit:
        old = {}
        for name, value in self.values.items():
            if name not in _HEADER_FIELDS:
                raise EditError(f"header has no field {name!r}")
            old[name] = getattr(sheet.header, name)
            setattr(sheet.header, name, _copy_value(value))
        if effect is not None:
            effect.header.update(self.values)
        return SetHeader(old, self.description)


@dataclass
class SetExportOptions(Edit):
    """Replace the export choices remembered in the project (``sheet.export_options``).

    Reported as a header change ("export_options"), so the undo step is kept and the
    document counts as modified.
    """

    options: dict[str, Any]
    description: str = "Change export options"

    def apply(self, sheet: CueSheet, effect: Effect | None = None) -> Edit:
        old = dict(sheet.export_options)
        sheet.export_options = dict(self.options)
        if effect is not None and old != sheet.export_options:
            effect.header.add("export_options")
        return SetExportOptions(old, self.description)


@dataclass
class Compound(Edit):
    """Several operations as one; the inverse undoes them in reverse order."""

    parts: list[Edit]
    description: str = "Edit"

    def apply(self, sheet: CueSheet, effect: Effect | None = None) -> Edit:
        inverses: list[Edit] = []
        try:
            for part in self.parts:
                inverses.append(part.apply(sheet, effect))
        except Exception:
            for inv in reversed(inverses):  # leave the sheet as it was
                inv.apply(sheet)
            raise
        return Compound(inverses[::-1], self.description)


# --- builders -------------------------------------------------------------

def renumber(sheet: CueSheet, after: Edit | None = None) -> Reorder:
    """The Reorder that sorts ``sheet`` by time and numbers active cues 1..n.

    With ``after``, computed for the sheet as it will be once ``after`` is applied
    (``after`` is applied and undone again, so ``sheet`` ends as it was: cheaper than
    copying a 2,000-cue sheet on every step of a drag).
    """
    undo = after.apply(sheet) if after is not None else None
    try:
        ordered = sorted(sheet.cues, key=lambda c: (c.start, c.end, c.id))
        active = [c.active for c in ordered]
    finally:
        if undo is not None:
            undo.apply(sheet)  # exact inverse: the sheet is as it was
    return _reorder(ordered, active)


def _reorder(ordered: list[Cue], active: list[bool]) -> Reorder:
    """Sequence numbers 1..n over active cues; inactive cues get 0."""
    seqs, n = [], 0
    for is_active in active:
        if is_active:
            n += 1
            seqs.append(n)
        else:
            seqs.append(0)
    return Reorder([c.id for c in ordered], seqs)


def with_order(sheet: CueSheet, parts: Sequence[Edit], description: str) -> Compound:
    """``parts`` followed by the reorder that keeps the sheet sorted and numbered."""
    body = Compound(list(parts), description)
    return Compound([*parts, renumber(sheet, after=body)], description)


def set_fields(sheet: CueSheet, cue_id: str, description: str | None = None, **values: Any) -> Compound:
    """Set cue fields, checked; a title typed by a person drops the "unidentified" flag."""
    cue = _cue(sheet, cue_id)
    for name in values:
        if name not in _CUE_FIELDS:
            raise EditError(f"cue has no field {name!r}")
    values = dict(values)
    for key in ("start", "end"):
        if key in values:
            values[key] = _frame(values[key], key)
    start = values.get("start", cue.start)
    end = values.get("end", cue.end)
    if ("start" in values or "end" in values) and end <= start:
        raise EditError(f"cue {_label(cue)}: time out must be after time in")
    if start < 0:
        raise EditError(f"cue {_label(cue)}: time in cannot be before the start of the media")
    typed_title = "title" in values and str(values["title"]).strip() and values["title"] != cue.title
    if typed_title and "flags" not in values and UNIDENTIFIED_FLAG in cue.flags:
        values["flags"] = [f for f in cue.flags if f != UNIDENTIFIED_FLAG]
    if "parties" in values:
        values["parties"] = [Party.from_dict(p.to_dict()) for p in values["parties"]]
    text = description or _describe_fields(values)
    return with_order(sheet, [SetFields(cue_id, values, text)], text)


def trim(sheet: CueSheet, cue_id: str, start: int | None = None, end: int | None = None) -> Compound:
    """New in and/or out point of a cue."""
    values = {}
    if start is not None:
        values["start"] = start
    if end is not None:
        values["end"] = end
    return set_fields(sheet, cue_id, "Trim cue", **values)


def move(sheet: CueSheet, cue_ids: Sequence[str], delta: int) -> Compound:
    """Move cues by ``delta`` frames (stopping at the start of the media)."""
    for i in cue_ids:
        _cue(sheet, i)
    return with_order(sheet, [ShiftCues(list(cue_ids), _frame(delta, "delta"))],
                      "Move cue" if len(cue_ids) == 1 else f"Move {len(cue_ids)} cues")


def add_cue(sheet: CueSheet, cue: Cue) -> Compound:
    """Insert a new cue (by time; the cue object is copied)."""
    if any(c.id == cue.id for c in sheet.cues):
        raise EditError(f"a cue with id {cue.id!r} already exists")
    if cue.end <= cue.start:
        raise EditError(f"new cue {_label(cue)}: time out must be after time in")
    if cue.start < 0:
        raise EditError(f"new cue {_label(cue)}: time in cannot be before the start of the media")
    index = sum(1 for c in sheet.cues if (c.start, c.end, c.id) < (cue.start, cue.end, cue.id))
    return with_order(sheet, [Splice([], [(index, cue.copy())])], "Add cue")


def new_manual_cue(start: int, end: int, title: str = "", usage: str | None = None) -> Cue:
    """A cue a person drew: engine "manual", full confidence, flagged unidentified until titled."""
    cue = Cue(start=_frame(start, "start"), end=_frame(end, "end"), title=title)
    if usage:
        cue.usage = usage
    cue.provenance.engine = "manual"
    if not title:
        cue.flags.append(UNIDENTIFIED_FLAG)
    return cue


def remove_cues(sheet: CueSheet, cue_ids: Sequence[str]) -> Compound:
    for i in cue_ids:
        _cue(sheet, i)
    text = "Remove cue" if len(cue_ids) == 1 else f"Remove {len(cue_ids)} cues"
    return with_order(sheet, [Splice(list(cue_ids), [])], text)


def set_active(sheet: CueSheet, cue_ids: Sequence[str], active: bool) -> Compound:
    """Activate or deactivate cues (inactive ones stay in the project, out of exports)."""
    parts = [SetFields(i, {"active": active}) for i in cue_ids if _cue(sheet, i).active != active]
    verb = "Activate" if active else "Deactivate"
    return with_order(sheet, parts, f"{verb} cue" if len(cue_ids) == 1 else f"{verb} {len(cue_ids)} cues")


def split_cue(sheet: CueSheet, cue_id: str, frame: int, new_cue_id: str | None = None) -> Compound:
    """Two cues where one was: the left keeps the id, the right is a copy starting at ``frame``."""
    cue = _cue(sheet, cue_id)
    frame = _frame(frame, "split point")
    if not cue.start < frame < cue.end:
        raise EditError(f"cue {_label(cue)}: the split point must lie inside the cue")
    left = cue.copy()
    left.end = frame
    right = cue.copy()
    right.id = new_cue_id or new_id()
    right.start = frame
    if right.cue_number:
        right.cue_number = _next_label(right.cue_number, {c.cue_number for c in sheet.cues})
    index = sheet.index_of(cue_id)
    return with_order(sheet, [Splice([cue_id], [(index, left), (index + 1, right)])], "Split cue")


def merge_cues(sheet: CueSheet, cue_ids: Sequence[str]) -> Compound:
    """One cue spanning the selected ones, keeping the earliest cue's id and metadata.

    The earliest cue with a title wins the metadata (an identified fragment is
    worth more than an unidentified one); engine events and the lower
    confidences are kept so the merge can be judged later.
    """
    cues = sorted((_cue(sheet, i) for i in dict.fromkeys(cue_ids)), key=lambda c: (c.start, c.end, c.id))
    if len(cues) < 2:
        raise EditError("select at least two cues to merge")
    first = cues[0]
    donor = next((c for c in cues if c.identified), first)
    merged = donor.copy()
    merged.id = first.id
    merged.seq = first.seq
    merged.cue_number = first.cue_number or donor.cue_number
    merged.start = min(c.start for c in cues)
    merged.end = max(c.end for c in cues)
    merged.active = any(c.active for c in cues)
    events: list[tuple[str, str]] = []
    for c in cues:
        for ev in c.provenance.source_events:
            if ev not in events:
                events.append(ev)
    merged.provenance.source_events = events
    for attr in ("detection_confidence", "identification_confidence"):
        values = [getattr(c.provenance, attr) for c in cues if getattr(c.provenance, attr) is not None]
        setattr(merged.provenance, attr, min(values) if values else None)
    merged.flags = [f for f in donor.flags if f != "short"]
    index = sheet.index_of(first.id)
    return with_order(sheet, [Splice([c.id for c in cues], [(index, merged)])], f"Merge {len(cues)} cues")


def set_parties(sheet: CueSheet, cue_ids: Sequence[str], parties: Sequence[Party]) -> Compound:
    """The same parties on many cues (e.g. every use of one track)."""
    parts = [SetFields(_cue(sheet, i).id, {"parties": [Party.from_dict(p.to_dict()) for p in parties]}, "Set parties")
             for i in cue_ids]
    return Compound(parts, "Set parties" if len(parts) == 1 else f"Set parties of {len(parts)} cues")


def set_header(sheet: CueSheet, **values: Any) -> SetHeader:
    """Header fields; only changed ones are recorded."""
    for name in values:
        if name not in _HEADER_FIELDS:
            raise EditError(f"header has no field {name!r}")
    changed = {k: v for k, v in values.items() if getattr(sheet.header, k) != v}
    what = ", ".join(k.replace("_", " ") for k in list(changed)[:3]) or "header"
    return SetHeader(changed, f"Edit {what}")


def set_export_options(sheet: CueSheet, options: dict[str, Any]) -> SetExportOptions:
    """The export dialog's choices, remembered per project as one undoable step."""
    return SetExportOptions(dict(options))


@dataclass(frozen=True)
class ReplaceSpec:
    """What find & replace looks for."""

    find: str
    replace: str
    fields: tuple[str, ...] = TEXT_FIELDS
    case_sensitive: bool = False
    whole_word: bool = False

    def pattern(self) -> re.Pattern[str]:
        if not self.find:
            raise EditError("nothing to find")
        body = re.escape(self.find)
        if self.whole_word:
            body = rf"\b{body}\b"
        return re.compile(body, 0 if self.case_sensitive else re.IGNORECASE)


def find_matches(sheet: CueSheet, spec: ReplaceSpec, cue_ids: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Cue id -> fields in which ``spec.find`` occurs (searching only ``cue_ids`` when given)."""
    pat = spec.pattern()
    wanted = set(cue_ids) if cue_ids is not None else None
    out: dict[str, list[str]] = {}
    for cue in sheet.cues:
        if wanted is not None and cue.id not in wanted:
            continue
        hits = [f for f in spec.fields if _field_texts(cue, f) and any(pat.search(t) for t in _field_texts(cue, f))]
        if hits:
            out[cue.id] = hits
    return out


def replace_all(sheet: CueSheet, spec: ReplaceSpec, cue_ids: Sequence[str] | None = None) -> Compound:
    """Find & replace across cues as one edit (e.g. a misspelled composer everywhere)."""
    pat = spec.pattern()
    parts: list[Edit] = []
    for cue_id, hit_fields in find_matches(sheet, spec, cue_ids).items():
        cue = _cue(sheet, cue_id)
        values: dict[str, Any] = {}
        for name in hit_fields:
            value = getattr(cue, name)
            if name == "parties":
                new = [Party.from_dict(p.to_dict()) for p in value]
                for p in new:
                    for attr in ("first_name", "last_name", "company", "pro", "ipi"):
                        setattr(p, attr, pat.sub(lambda _m: spec.replace, getattr(p, attr)))
                values[name] = new
            elif isinstance(value, list):
                values[name] = [pat.sub(lambda _m: spec.replace, v) for v in value]
            else:
                values[name] = pat.sub(lambda _m: spec.replace, value)
        if "title" in values and UNIDENTIFIED_FLAG in cue.flags and values["title"].strip():
            values["flags"] = [f for f in cue.flags if f != UNIDENTIFIED_FLAG]
        parts.append(SetFields(cue_id, values, "Replace"))
    n = len(parts)
    return Compound(parts, f"Replace {spec.find!r} with {spec.replace!r} in {n} cue{'s' if n != 1 else ''}")


# --- helpers --------------------------------------------------------------

def _field_texts(cue: Cue, name: str) -> list[str]:
    value = getattr(cue, name)
    if name == "parties":
        return [t for p in value for t in (p.first_name, p.last_name, p.company, p.pro, p.ipi) if t]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [value] if isinstance(value, str) and value else []


def _cue(sheet: CueSheet, cue_id: str) -> Cue:
    try:
        return sheet.cue_by_id(cue_id)
    except KeyError:
        raise EditError(f"no cue with id {cue_id!r}") from None


def _frame(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        raise EditError(f"{what} must be a whole frame count, not {value!r}")
    if isinstance(value, Fraction) and value.denominator != 1:
        raise EditError(f"{what} must be a whole frame count, not {value}")
    return int(value)


def _label(cue: Cue) -> str:
    return f"{cue.seq or '?'} ({cue.cue_number or cue.title or cue.id})"


def _describe_fields(values: dict[str, Any]) -> str:
    names = [n for n in values if n != "flags"]
    if names == ["active"]:
        return "Activate cue" if values["active"] else "Deactivate cue"
    if set(names) <= {"start", "end"}:
        return "Trim cue"
    return "Edit " + ", ".join(n.replace("_", " ") for n in names[:3])


def _next_label(label: str, taken: set[str]) -> str:
    """'1M02' -> '1M02A' (then B, C ...) for the second half of a split cue."""
    for suffix in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        candidate = label + suffix
        if candidate not in taken:
            return candidate
    return label + "-2"
