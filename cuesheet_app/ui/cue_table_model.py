"""The cue table: a Qt model over ``document.sheet.cues`` (the cue objects themselves, in time order).

The model never holds copies of cues: rows are the sheet's Cue objects, and an
edit in a cell becomes a domain edit pushed on the document's undo stack. The
rows follow the document's signals: field changes repaint one row, adding or
removing cues inserts/removes rows, a re-sort is a layout change. Validation
findings colour the cells they are about and explain themselves in tooltips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from cuesheet_app.domain import edits
from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import Cue, CueSheet
from cuesheet_app.domain.parties import PartyNotationError, format_parties, parse_parties
from cuesheet_app.domain.validation import Finding, Severity, validate_cue
from cuesheet_app.domain.vocab import ORIGINS, USAGES, codes, label_of
from cuesheet_app.ui.document import ProjectDocument

_Index = QModelIndex | QPersistentModelIndex
CUE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
FINDINGS_ROLE = Qt.ItemDataRole.UserRole + 2
ERROR_BG = QColor(255, 210, 210)
WARNING_BG = QColor(255, 240, 196)
INACTIVE_FG = QColor(140, 140, 140)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    editable: bool
    # Cue fields whose findings are shown in this column.
    finding_fields: tuple[str, ...] = ()
    # Off until the user ticks it in the header's menu: the editor shows what a sheet needs first.
    hidden_by_default: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("seq", "#", False),
    Column("cue_number", "Cue", True, ("cue_number",)),
    Column("title", "Title", True, ("title",)),
    Column("usage", "Usage", True, ("usage",)),
    Column("start", "In", True, ("start",)),
    Column("end", "Out", True, ("end",)),
    Column("duration", "Duration", True),
    Column("composers", "Composers", True, ("parties:writer",)),
    Column("publishers", "Publishers", True, ("parties:publisher",)),
    Column("origin", "Origin", True, ("origin",), hidden_by_default=True),
    Column("isrc", "ISRC", True, ("isrc",), hidden_by_default=True),
    Column("label", "Label", True, ("label",), hidden_by_default=True),
    Column("library", "Library / catalogue", True, ("library", "catalogue_number", "track_number"),
           hidden_by_default=True),
    Column("confidence", "Confidence", False, hidden_by_default=True),
    Column("status", "Status", True),
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
TIME_COLUMNS = ("start", "end", "duration")  # shown the one way the Settings choose
_FIELD_TO_COLUMN = {f: i for i, c in enumerate(COLUMNS) for f in c.finding_fields}


class CueTableModel(QAbstractTableModel):
    """Rows are the sheet's cues in time order; ``editRejected`` says why an edit was refused."""

    editRejected = Signal(str)

    def __init__(self, document: ProjectDocument, parent: Any = None) -> None:
        super().__init__(parent)
        self.doc = document
        self._cues: list[Cue] = list(document.sheet.cues)
        self._rows: dict[str, int] = {}
        self._cell_findings: dict[tuple[str, int], list[Finding]] = {}
        self.time_display = tc.TimeDisplay.TIMECODE  # one way for In, Out and Duration (Settings)
        self._reindex()
        self._index_findings()
        document.sheetReplaced.connect(self._on_sheet_replaced)
        document.cuesChanged.connect(self._on_cues_changed)
        document.cueFieldsChanged.connect(self._on_fields_changed)
        document.findingsChanged.connect(self._on_findings_changed)
        document.headerChanged.connect(self._on_header_changed)

    # --- lookups ------------------------------------------------------------
    @property
    def sheet(self) -> CueSheet:
        return self.doc.sheet

    def cue_at(self, row: int) -> Cue:
        return self._cues[row]

    def row_of(self, cue_id: str) -> int:
        return self._rows.get(cue_id, -1)

    # --- Qt model API -------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cues)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if not horizontal or not 0 <= section < len(COLUMNS):
            return None
        col = COLUMNS[section]
        timed = col.key in TIME_COLUMNS
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{col.title}\n{self.time_display.hint}" if timed else col.title  # the unit under the name
        if role == Qt.ItemDataRole.ToolTipRole and timed:
            where = "from the program start" if col.key != "duration" and \
                self.time_display is not tc.TimeDisplay.TIMECODE else ""
            return (f"{self.time_display.label}{' ' + where if where else ''}. "
                    "Change it in Settings ▸ Timing & detection ▸ Times in the editor; exports keep each PRO's format.")
        return None

    def set_time_display(self, display: tc.TimeDisplay) -> None:
        """Show In, Out and Duration another way (headers say which)."""
        if display is self.time_display:
            return
        self.time_display = display
        first, last = min(COLUMN_INDEX[k] for k in TIME_COLUMNS), max(COLUMN_INDEX[k] for k in TIME_COLUMNS)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, first, last)
        if self._cues:
            self.dataChanged.emit(self.index(0, first), self.index(len(self._cues) - 1, last))

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        col = COLUMNS[index.column()]
        if self.doc.sheet.submitted:  # read-only until reopened
            return base
        if col.key == "status":
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if col.editable:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._cues):
            return None
        cue = self._cues[index.row()]
        col = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(cue, col.key)
        if role == Qt.ItemDataRole.EditRole:
            return self._edit_value(cue, col.key)
        if role == CUE_ID_ROLE:
            return cue.id
        if role == Qt.ItemDataRole.CheckStateRole and col.key == "status":
            return Qt.CheckState.Checked if cue.active else Qt.CheckState.Unchecked
        found = self._cell_findings.get((cue.id, index.column()))
        if role == FINDINGS_ROLE:
            return found or []
        if role == Qt.ItemDataRole.ToolTipRole:
            if found:
                return "\n".join(f"{f.severity.value.capitalize()}: {f.message}" for f in found)
            if col.key == "usage":
                return label_of(USAGES, cue.usage)
            return None
        if role == Qt.ItemDataRole.BackgroundRole and found:
            worst = Severity.ERROR if any(f.severity is Severity.ERROR for f in found) else Severity.WARNING
            return QBrush(ERROR_BG if worst is Severity.ERROR else WARNING_BG)
        if role == Qt.ItemDataRole.ForegroundRole and not cue.active:
            return QBrush(INACTIVE_FG)
        if role == Qt.ItemDataRole.FontRole and not cue.active:
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and col.key in ("seq", "start", "end", "duration", "confidence"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, cue: Cue, key: str) -> str:
        sheet = self.sheet
        if key == "seq":
            return str(cue.seq) if cue.seq else "–"
        if key in ("start", "end"):
            frames = getattr(cue, key)
            if self.time_display is tc.TimeDisplay.TIMECODE:
                return sheet.timecode_at(frames)
            return tc.format_length(frames - sheet.program_offset_frames(), sheet.rate, self.time_display)
        if key == "duration":
            return tc.format_length(cue.duration, sheet.rate, self.time_display)
        if key == "composers":
            return format_parties(cue.writers)
        if key == "publishers":
            return format_parties(cue.publishers)
        if key == "origin":
            return label_of(ORIGINS, cue.origin)
        if key == "library":
            return " / ".join(p for p in (cue.library, cue.catalogue_number, cue.track_number) if p)
        if key == "confidence":
            value = cue.provenance.identification_confidence
            if value is None:
                value = cue.provenance.detection_confidence
            return "" if value is None else f"{round(value * 100)} %"
        if key == "status":
            if not cue.active:
                return "Inactive"
            return "Identified" if cue.identified else "Unidentified"
        return str(getattr(cue, key))

    def _edit_value(self, cue: Cue, key: str) -> Any:
        if key in ("usage", "origin"):
            return getattr(cue, key)
        if key == "library":
            return " / ".join((cue.library, cue.catalogue_number, cue.track_number)).rstrip(" /")
        return self._display(cue, key)

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        cue = self._cues[index.row()]
        key = COLUMNS[index.column()].key
        try:
            if role == Qt.ItemDataRole.CheckStateRole and key == "status":
                active = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
                if active == cue.active:
                    return False
                self.doc.push_edit(edits.set_active(self.sheet, [cue.id], active))
                return True
            if role != Qt.ItemDataRole.EditRole:
                return False
            values = self._values_from_text(cue, key, value)
            if values is None or all(getattr(cue, k) == v for k, v in values.items()):
                return False
            self.doc.push_edit(edits.set_fields(self.sheet, cue.id, **values))
            return True
        except (edits.EditError, tc.TimecodeError, PartyNotationError, ValueError) as exc:
            self.editRejected.emit(f"{COLUMNS[index.column()].title} of cue {cue.seq or cue.title}: {exc}")
            return False

    def _values_from_text(self, cue: Cue, key: str, value: Any) -> dict[str, Any] | None:
        """The cue fields a typed cell value means (ValueError with a reason when it is impossible)."""
        text = "" if value is None else str(value).strip()
        if key in ("start", "end"):
            if self.time_display is tc.TimeDisplay.TIMECODE or text.count(":") + text.count(";") == 3:
                return {key: self.sheet.media_frames_from_timecode(text)}
            return {key: tc.parse_length(text, self.sheet.rate) + self.sheet.program_offset_frames()}
        if key == "duration":
            return {"end": cue.start + tc.parse_length(text, self.sheet.rate)}
        if key == "usage":
            if text not in codes(USAGES):
                raise ValueError(f"{text!r} is not a usage ({', '.join(codes(USAGES))})")
            return {"usage": text}
        if key == "origin":
            if text not in codes(ORIGINS):
                raise ValueError(f"{text!r} is not an origin ({', '.join(codes(ORIGINS))})")
            return {"origin": text}
        if key == "composers":
            return {"parties": parse_parties(text, "C") + cue.publishers}
        if key == "publishers":
            return {"parties": cue.writers + parse_parties(text, "E")}
        if key == "library":
            parts = [p.strip() for p in text.split("/")] + ["", "", ""]
            return {"library": parts[0], "catalogue_number": parts[1], "track_number": parts[2]}
        if key == "isrc":
            return {"isrc": text.upper()}
        if key in ("cue_number", "title", "label"):
            return {key: text}
        return None

    # --- following the document -------------------------------------------
    def _reindex(self) -> None:
        self._rows = {c.id: i for i, c in enumerate(self._cues)}

    def _on_sheet_replaced(self) -> None:
        self.beginResetModel()
        self._cues = list(self.sheet.cues)
        self._reindex()
        self._index_findings()
        self.endResetModel()

    def _on_cues_changed(self) -> None:
        new = list(self.sheet.cues)
        old_ids = [c.id for c in self._cues]
        new_ids = [c.id for c in new]
        if old_ids == new_ids:
            self._cues = new  # same rows (objects may be new after an undo): repaint them all
            self._reindex()
            self._emit_all()
        elif sorted(old_ids) == sorted(new_ids):
            self._relayout(new)
        elif not self._insert_or_remove(new):
            self._on_sheet_replaced()

    def _relayout(self, new: list[Cue]) -> None:
        self.layoutAboutToBeChanged.emit()
        new_rows = {c.id: i for i, c in enumerate(new)}
        from_list, to_list = [], []
        for p in self.persistentIndexList():
            cue_id = self._cues[p.row()].id
            from_list.append(p)
            to_list.append(self.index(new_rows[cue_id], p.column()))
        self._cues = new
        self._reindex()
        self.changePersistentIndexList(from_list, to_list)
        self.layoutChanged.emit()
        self._emit_all()

    def _insert_or_remove(self, new: list[Cue]) -> bool:
        """Rows added only or removed only (order of the others kept): proper row signals."""
        old_ids = [c.id for c in self._cues]
        new_ids = [c.id for c in new]
        old_set, new_set = set(old_ids), set(new_ids)
        if old_set <= new_set and [i for i in new_ids if i in old_set] == old_ids:
            for row, cue in enumerate(new):
                if cue.id not in old_set:
                    self.beginInsertRows(QModelIndex(), row, row)
                    self._cues.insert(row, cue)
                    self.endInsertRows()
        elif new_set <= old_set and [i for i in old_ids if i in new_set] == new_ids:
            for row in range(len(self._cues) - 1, -1, -1):
                if self._cues[row].id not in new_set:
                    self.beginRemoveRows(QModelIndex(), row, row)
                    del self._cues[row]
                    self.endRemoveRows()
        else:
            return False
        self._cues = new  # same ids in the same order; take the sheet's objects
        self._reindex()
        self._emit_all()  # sequence numbers of the other rows changed
        return True

    def _on_fields_changed(self, cue_id: str, names: list[str]) -> None:
        row = self._rows.get(cue_id)
        if row is not None and row < len(self._cues):
            if self._cues[row].id != cue_id:
                self._on_cues_changed()
                return
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _on_header_changed(self) -> None:
        # Frame rate or program start changes how every time cell reads.
        self._emit_all()

    def _on_findings_changed(self) -> None:
        self._index_findings()
        self._emit_all()

    def _emit_all(self) -> None:
        if self._cues:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._cues) - 1, len(COLUMNS) - 1))

    def _index_findings(self) -> None:
        out: dict[tuple[str, int], list[Finding]] = {}
        cues = {c.id: c for c in self._cues}
        for f in self.doc.findings():
            if f.cue_id is None:
                continue
            col = _column_for(f, cues.get(f.cue_id))
            out.setdefault((f.cue_id, col), []).append(f)
        self._cell_findings = out

    def preview_findings(self, row: int, column: int, text: str) -> list[str]:
        """What validation would say about this cell if ``text`` were committed (live, while typing)."""
        cue = self._cues[row]
        key = COLUMNS[column].key
        try:
            values = self._values_from_text(cue, key, text)
        except (edits.EditError, tc.TimecodeError, PartyNotationError, ValueError) as exc:
            return [str(exc)]
        if not values:
            return []
        trial = cue.copy()
        for name, value in values.items():
            setattr(trial, name, value)
        if key == "title" and text.strip() and "unidentified" in trial.flags:
            trial.flags = [f for f in trial.flags if f != "unidentified"]
        found = validate_cue(trial, self.doc.validation_profile, self.sheet)
        return [f.message for f in found if _column_for(f, trial) == column and f.severity is Severity.ERROR]

    def findings_column(self, finding: Finding) -> int:
        row = self.row_of(finding.cue_id or "")
        return _column_for(finding, self._cues[row] if row >= 0 else None)

    def findings_for(self, row: int, column: int) -> list[Finding]:
        return list(self._cell_findings.get((self._cues[row].id, column), []))


def _column_for(f: Finding, cue: Cue | None) -> int:
    """Which cell a finding belongs on (the row's number cell when no better one exists)."""
    name = f.field or ""
    if name == "parties":
        if f.code == "publisher-shares":
            return COLUMN_INDEX["publishers"]
        if f.party_index is not None and cue is not None and f.party_index < len(cue.parties):
            return COLUMN_INDEX["publishers" if cue.parties[f.party_index].is_publisher else "composers"]
        return COLUMN_INDEX["composers"]
    return _FIELD_TO_COLUMN.get(name, COLUMN_INDEX["seq"])


def column_keys() -> list[str]:
    return [c.key for c in COLUMNS]

