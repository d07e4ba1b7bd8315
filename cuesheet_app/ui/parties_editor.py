"""Editing a cue's interested parties: writers and publishers with role, name, PRO, IPI and share.

A plain widget over a list of ``Party`` copies, independent of any project, so
the cue editor and the rights catalogue window both use it. Every change the
user makes emits ``partiesEdited(list[Party])``; the owner turns that into an
undo step (the cue editor) or a catalogue write. Shares are exact fractions:
"split equally" over three writers gives 33 1/3 each and totals exactly 100.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain import identifiers as ids
from cuesheet_app.domain.model import Party
from cuesheet_app.domain.parties import format_share, share_totals
from cuesheet_app.domain.vocab import PROS, PUBLISHER_ROLES, ROLES, WRITER_ROLES, label_of
from cuesheet_app.ui.full_text import FullTextDelegate

_Index = QModelIndex | QPersistentModelIndex
HUNDRED = Fraction(100)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("role", "Role"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("company", "Company"),
    ("pro", "PRO"),
    ("ipi", "IPI"),
    ("share", "Share %"),
)
_ERROR_BG = QColor(255, 214, 214)


def parse_share(text: str) -> Fraction:
    """'50', '33.33', '33,5 %' or '100/3' to an exact percentage; ValueError names the text."""
    cleaned = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Fraction(cleaned or "0")
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"share {text!r} is not a number") from None
    if value < 0 or value > HUNDRED:
        raise ValueError(f"share {text!r} must be between 0 and 100")
    return value


def split_equally(parties: list[Party]) -> list[Party]:
    """Copies with writers sharing 100 % equally and publishers sharing 100 % equally."""
    out = [Party.from_dict(p.to_dict()) for p in parties]
    for group in ([p for p in out if p.is_writer], [p for p in out if p.is_publisher]):
        for p in group:
            p.share = HUNDRED / len(group)
    return out




class PartiesModel(QAbstractTableModel):
    """A table of Party copies; ``edited`` fires after each user change."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parties: list[Party] = []

    def set_parties(self, parties: list[Party]) -> None:
        self.beginResetModel()
        self._parties = [Party.from_dict(p.to_dict()) for p in parties]
        self.endResetModel()

    def parties(self) -> list[Party]:
        return [Party.from_dict(p.to_dict()) for p in self._parties]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._parties)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._parties):
            return None
        p = self._parties[index.row()]
        key = COLUMNS[index.column()][0]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if key == "share":
                return format_share(p.share)
            if key == "role" and role == Qt.ItemDataRole.DisplayRole:
                return f"{p.role} – {label_of(ROLES, p.role)}"
            return getattr(p, key)
        problem = self._problem(p, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return problem
        if role == Qt.ItemDataRole.BackgroundRole and problem:
            return QBrush(_ERROR_BG)
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "share":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _problem(p: Party, key: str) -> str | None:
        if key == "ipi" and p.ipi and not ids.is_valid_ipi(p.ipi):
            return f"IPI {p.ipi!r} must be 9–11 digits"
        if key in ("last_name", "company") and not p.display_name:
            return "a person's name or a company is needed"
        if key == "company" and p.is_publisher and not p.company:
            return "publishers are companies"
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        p = self._parties[index.row()]
        key = COLUMNS[index.column()][0]
        text = str(value).strip() if value is not None else ""
        if key == "share":
            try:
                new: Any = parse_share(text)
            except ValueError:
                return False
        elif key == "role":
            code = text.split(" ")[0]
            if code not in WRITER_ROLES | PUBLISHER_ROLES:
                return False
            new = code
        elif key == "pro":
            new = text.upper()
        elif key == "ipi":
            new = "".join(ch for ch in text if ch.isdigit())  # keep leading zeros
        else:
            new = text
        if getattr(p, key) == new:
            return False
        setattr(p, key, new)
        self.dataChanged.emit(index.siblingAtColumn(0), index.siblingAtColumn(len(COLUMNS) - 1))
        self.edited.emit()
        return True

    def fill_from_directory(self, row: int, entry: Party) -> None:
        """Names, PRO and IPI of a picked directory entry, as one edit (role and share stay)."""
        if not 0 <= row < len(self._parties):
            return
        p = self._parties[row]
        changed = False
        for key in ("first_name", "last_name", "company", "pro", "ipi"):
            value = getattr(entry, key)
            if getattr(p, key) != value:
                setattr(p, key, value)
                changed = True
        if changed:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            self.edited.emit()

    def add(self, party: Party) -> int:
        row = len(self._parties)
        self.beginInsertRows(QModelIndex(), row, row)
        self._parties.append(party)
        self.endInsertRows()
        self.edited.emit()
        return row

    def remove_rows(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._parties):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._parties[row]
                self.endRemoveRows()
        self.edited.emit()

    def replace_all(self, parties: list[Party]) -> None:
        self.set_parties(parties)
        self.edited.emit()


NAME_KEYS = ("first_name", "last_name", "company")


def directory_label(entry: Party) -> str:
    """How a directory entry reads in the completer: name, then society and IPI."""
    extras = " ".join(x for x in (f"[{entry.pro}]" if entry.pro else "", entry.ipi) if x)
    return f"{entry.display_name}  {extras}".rstrip()


class _PartyDelegate(FullTextDelegate):
    """Combos for role and PRO; names complete from the party directory; free text elsewhere."""

    def __init__(self, editor: PartiesEditor) -> None:
        super().__init__(editor.view)
        self.editor = editor

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        key = COLUMNS[index.column()][0]
        if key in NAME_KEYS and self.editor.directory:
            line = QLineEdit(parent)
            completer = QCompleter(list(self.editor.directory), line)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            line.setCompleter(completer)
            return line
        if key == "role":
            combo = QComboBox(parent)
            for term in ROLES:
                combo.addItem(f"{term.code} – {term.label}", term.code)
            return combo
        if key == "pro":
            combo = QComboBox(parent)
            combo.setEditable(True)
            combo.addItems(["", *PROS])
            return combo
        return super().createEditor(parent, option, index)

    def fill_editor(self, editor: QWidget, index: _Index) -> None:
        if isinstance(editor, QComboBox):
            value = index.data(Qt.ItemDataRole.EditRole) or ""
            i = editor.findData(value) if editor.itemData(0) is not None else editor.findText(value)
            if i >= 0:
                editor.setCurrentIndex(i)
            else:
                editor.setEditText(value)
            return
        super().fill_editor(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractTableModel, index: _Index) -> None:
        if isinstance(editor, QLineEdit) and editor.text() in self.editor.directory:
            # a picked completion fills the whole name with its society and IPI
            self.editor.model.fill_from_directory(index.row(), self.editor.directory[editor.text()])
            return
        if isinstance(editor, QComboBox):
            data = editor.currentData()
            model.setData(index, data if data is not None else editor.currentText())
            return
        super().setModelData(editor, model, index)


class PartiesEditor(QWidget):
    """Interested parties of one cue (or one catalogue track).

    ``set_parties`` fills it without emitting; every user change emits
    ``partiesEdited`` with a fresh list. ``set_copy_sources`` offers other cues'
    parties to copy; ``set_track_apply_visible`` shows "Apply to every cue of this
    track", which emits ``applyToTrackRequested`` with the current parties.
    """

    partiesEdited = Signal(list)
    applyToTrackRequested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PartiesModel(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.directory: dict[str, Party] = {}  # completer label -> entry (set_directory)
        self.view.setItemDelegate(_PartyDelegate(self))
        self.view.setEditTriggers(QTableView.EditTrigger.AllEditTriggers)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 10)
        self._size_columns()

        self.add_writer_button = QPushButton("Add writer", self)
        self.add_publisher_button = QPushButton("Add publisher", self)
        self.remove_button = QPushButton("Remove", self)
        self.split_button = QPushButton("Split equally", self)
        self.split_button.setToolTip("Writers share 100 % equally, publishers share 100 % equally")
        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy from cue…")
        self.copy_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.copy_button.setMenu(QMenu(self.copy_button))
        self.copy_button.setEnabled(False)
        self.apply_track_button = QPushButton("Apply to every cue of this track", self)
        self.apply_track_button.setVisible(False)
        self.totals_label = QLabel(self)
        self.totals_label.setObjectName("partiesTotals")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # One row (the editor runs the full width under the cue table): adding and removing, then
        # the whole-list tools, a little apart.
        buttons = QHBoxLayout()
        for w in (self.add_writer_button, self.add_publisher_button, self.remove_button):
            buttons.addWidget(w)
        buttons.addSpacing(16)
        for w in (self.split_button, self.copy_button, self.apply_track_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.totals_label)

        self.add_writer_button.clicked.connect(lambda: self._add(Party(role="C")))
        self.add_publisher_button.clicked.connect(lambda: self._add(Party(role="E")))
        self.remove_button.clicked.connect(self._remove_selected)
        self.split_button.clicked.connect(self.split_equally)
        self.apply_track_button.clicked.connect(lambda: self.applyToTrackRequested.emit(self.parties()))
        self.model.edited.connect(self._on_edited)
        self._update_totals()

    # --- API --------------------------------------------------------------

    _SAMPLES = {"role": "SE – Sub-Publisher", "first_name": "Jonathan", "last_name": "Williams",
                "pro": "SOCAN", "ipi": "00012345678", "share": "100.00"}

    def _size_columns(self) -> None:
        """Every column as wide as its usual text; the company (publishers' names run long) takes the rest."""
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        metrics = self.view.fontMetrics()
        for col, (key, title) in enumerate(COLUMNS):
            if key == "company":
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
                continue
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            sample = max(self._SAMPLES[key], title, key=metrics.horizontalAdvance)
            self.view.setColumnWidth(col, metrics.horizontalAdvance(sample) + 24)
    def set_directory(self, entries: list[Party]) -> None:
        """People and companies to offer while typing a name (from the rights catalogue)."""
        self.directory = {directory_label(e): e for e in entries if e.display_name}

    def set_parties(self, parties: list[Party]) -> None:
        self.model.set_parties(parties)
        self._update_totals()

    def parties(self) -> list[Party]:
        return self.model.parties()

    def set_copy_sources(self, sources: list[tuple[str, list[Party]]]) -> None:
        """Offer (label, parties) pairs, e.g. other cues, in the "Copy from cue…" menu."""
        menu = self.copy_button.menu()
        menu.clear()
        for label, parties in sources:
            if parties:
                action = menu.addAction(label)
                action.triggered.connect(lambda _c=False, ps=parties: self.model.replace_all(ps))
        self.copy_button.setEnabled(bool(menu.actions()))

    def set_track_apply_visible(self, visible: bool) -> None:
        self.apply_track_button.setVisible(visible)

    def split_equally(self) -> None:
        if self.model.rowCount():
            self.model.replace_all(split_equally(self.model.parties()))

    def totals(self) -> tuple[Fraction, Fraction]:
        return share_totals(self.model.parties())

    # --- internals --------------------------------------------------------
    def _add(self, party: Party) -> None:
        row = self.model.add(party)
        index = self.model.index(row, 3 if party.is_publisher else 1)
        self.view.setCurrentIndex(index)
        self.view.edit(index)

    def _remove_selected(self) -> None:
        rows = [i.row() for i in self.view.selectionModel().selectedRows()]
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        if rows:
            self.model.remove_rows(rows)

    def _on_edited(self) -> None:
        self._update_totals()
        self.partiesEdited.emit(self.model.parties())

    def _update_totals(self) -> None:
        parties = self.model.parties()
        writers, publishers = share_totals(parties)
        parts = []
        ok = True
        for name, present, total in (("Writers", any(p.is_writer for p in parties), writers),
                                     ("Publishers", any(p.is_publisher for p in parties), publishers)):
            if present:
                good = total == HUNDRED
                ok &= good
                parts.append(f"{name}: {format_share(total)} %" + ("" if good else " (must be 100 %)"))
            else:
                parts.append(f"{name}: none")
        self.totals_label.setText("   ·   ".join(parts))
        self.totals_label.setStyleSheet("" if ok else "color: #b00020; font-weight: bold;")
