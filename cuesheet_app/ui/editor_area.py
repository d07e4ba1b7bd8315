"""The cue editor: timeline on top, cue table below it, parties / problems / find & replace / history under that.

``EditorArea(document)`` is what the main window puts in its centre. All views
share the document's selection, and every change goes through the document's
undo stack. ``menu_actions()`` gives the Edit/Cue/View actions with the keys of
``ui/shortcuts.py``; the main window adds them to its menus.
"""

from __future__ import annotations

import gc
import html
import logging
import sqlite3
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain import edits
from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import Cue, Party
from cuesheet_app.settings.store import Settings, load_settings
from cuesheet_app.ui import shortcuts
from cuesheet_app.ui.cue_table_model import COLUMN_INDEX, COLUMNS, TIME_COLUMNS, CueTableModel
from cuesheet_app.ui.delegates import CueDelegate
from cuesheet_app.ui.document import ProjectDocument
from cuesheet_app.ui.find_replace import CueFilterProxy, FindReplacePanel
from cuesheet_app.ui.findings_view import FindingsView
from cuesheet_app.ui.parties_editor import PartiesEditor
from cuesheet_app.ui.timeline import CueOperations, TimelineWidget
from cuesheet_app.ui.undo_history import UndoHistoryView

# Columns that share the spare width; the others are as wide as their longest usual text.
STRETCH_COLUMNS = ("title", "composers", "publishers")
_COLUMN_SAMPLES = {"seq": "000", "cue_number": "1M00", "usage": "BV", "start": "00:00:00:00",
                   "end": "00:00:00:00", "duration": "00:00:00:00", "origin": "Library",
                   "isrc": "QZ-DEM-26-00001", "label": "Quayside Library", "library": "Quayside DEMO 001",
                   "confidence": "100 %", "status": "Unidentified"}
_CHECKBOX_ROOM = 24  # the status column's tick box


def size_columns(table: QTableView) -> None:
    """Compact columns sized from the font (timecodes, numbers), text columns stretching, rare ones hidden.

    From the font, not ``ResizeToContents``: widths then stay put while cues are edited,
    and the user can still drag every compact column.
    """
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(28)
    metrics = table.fontMetrics()
    head_metrics = header.fontMetrics()
    for i, col in enumerate(COLUMNS):
        table.setColumnHidden(i, col.hidden_by_default)
        if col.key in STRETCH_COLUMNS:
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
            continue
        header.setSectionResizeMode(i, QHeaderView.ResizeMode.Interactive)
        title = table.model().headerData(i, Qt.Orientation.Horizontal) if table.model() else None
        title = title if isinstance(title, str) else col.title
        text = metrics.horizontalAdvance(_COLUMN_SAMPLES.get(col.key, col.title))
        head = max(head_metrics.horizontalAdvance(line) for line in title.split("\n"))
        width = max(text, head + 6) + 14
        if col.key == "status":
            width += _CHECKBOX_ROOM
        table.setColumnWidth(i, width)


log = logging.getLogger(__name__)
MAX_COPY_SOURCES = 40
LARGE_PROJECT_CUES = 500  # from here on, GC pauses would show during drags (see settle_heap)


def settle_heap() -> None:
    """Collect, then exempt what is loaded now (the project, Qt wrappers) from cyclic GC.

    With a 2,000-cue project the Python heap is large, and a full cyclic collection
    in the middle of a drag stalls a mouse move by tens of milliseconds (benchmark:
    p95 per move 17 ms without, 6.5 ms with). Frozen objects are still freed by
    reference counting; unfreezing first lets the previous project's cycles go.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class EditorArea(QWidget):
    seekRequested = Signal(float)
    playRangeRequested = Signal(float, float)
    message = Signal(str)  # one-line feedback for the status bar (also shown in the area)
    # A header finding was clicked: the header field's name (e.g. "production_company"),
    # for the main window to show its header form there.
    headerFieldRequested = Signal(str)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        settings = settings or load_settings()
        self.ops = CueOperations(document, self)
        self.timeline = TimelineWidget(document, self.ops, self)
        self.model = CueTableModel(document, self)
        self.proxy = CueFilterProxy(self.model, self)
        self.table = QTableView(self)
        self.table.setObjectName("cueTable")
        self.table.setModel(self.proxy)
        self.table.setItemDelegate(CueDelegate(lambda: self.doc.sheet.rate, self.table,
                                               display=lambda: self.model.time_display))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.SelectedClicked)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        size_columns(self.table)

        self.parties = PartiesEditor(self)
        self.parties.set_track_apply_visible(False)
        self.findings = FindingsView(document, self)
        self.find_replace = FindReplacePanel(document, self.proxy, self)
        self.history = UndoHistoryView(document, self)
        self.tabs = QTabWidget(self)
        self.parties_title = QLabel(self)
        parties_page = QWidget(self)
        pl = QVBoxLayout(parties_page)
        pl.addWidget(self.parties_title)
        pl.addWidget(self.parties, 1)
        self.tabs.addTab(parties_page, "Parties")
        self.tabs.addTab(self.findings, "Problems")
        self.tabs.addTab(self.find_replace, "Find && Replace")
        self.tabs.addTab(self.history, "History")
        self.status = QLabel(self)
        self.status.setObjectName("editorStatus")

        # Timeline, table and side tabs stacked: each gets the full width, so the table shows all its
        # columns and the parties table its seven without a horizontal scrollbar.
        outer = QSplitter(Qt.Orientation.Vertical, self)
        outer.setObjectName("editorSplitter")
        outer.setChildrenCollapsible(False)
        outer.addWidget(self.timeline)
        outer.addWidget(self.table)
        outer.addWidget(self.tabs)
        outer.setStretchFactor(0, 3)
        outer.setStretchFactor(1, 4)
        outer.setStretchFactor(2, 4)
        outer.setSizes([180, 240, 260])
        self.splitter = outer
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(outer, 1)
        layout.addWidget(self.status)

        self._syncing = False
        self._parties_cue: str | None = None
        self._applying_parties = False
        self._actions: list[QAction] = []
        self._build_actions()
        self.apply_settings(settings)

        self.table.selectionModel().selectionChanged.connect(self._table_selection_changed)
        document.selectionChanged.connect(self._doc_selection_changed)
        document.cueFieldsChanged.connect(self._fields_changed)
        document.cuesChanged.connect(lambda: self._show_parties_of_selection(force=False))
        document.sheetReplaced.connect(lambda: self._show_parties_of_selection(force=True))
        self.parties.partiesEdited.connect(self._parties_edited)
        self.parties.applyToTrackRequested.connect(self._apply_to_track)
        self.findings.findingActivated.connect(self._finding_activated)
        self.timeline.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.timeline.customContextMenuRequested.connect(self._timeline_menu)
        self.timeline.seekRequested.connect(self.seekRequested)
        self.ops.playRangeRequested.connect(self.playRangeRequested)
        self.ops.editRequested.connect(self.edit_cue)
        for source in (self.ops.message, self.model.editRejected, self.find_replace.message):
            source.connect(self._say)
        self._show_parties_of_selection(force=True)
        document.sheetReplaced.connect(self._settle_heap_later)
        self._settle_heap_later()
        # Text columns sized to what they hold (within bounds), the title taking the rest.
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_text_columns)
        for signal in (document.sheetReplaced, document.cuesChanged, document.cueFieldsChanged):
            signal.connect(lambda *_: self._fit_timer.start())
        self.table.viewport().installEventFilter(self)
        self._fit_timer.start()

    # --- API for the main window ------------------------------------------
    def set_peaks(self, peaks: Any) -> None:
        self.timeline.set_peaks(peaks)

    def set_playhead(self, seconds: float) -> None:
        self.timeline.set_playhead(seconds)

    def apply_settings(self, settings: Settings) -> None:
        """Pre/post-roll, snapping and the validation profile (call again after the settings dialog)."""
        self.ops.preroll_s = settings.preroll_s
        self.ops.postroll_s = settings.postroll_s
        self.timeline.snapping = settings.snapping
        before = self.model.time_display
        self.model.set_time_display(tc.time_display(settings.time_display))
        self.timeline.time_display = self.model.time_display
        if self.model.time_display is not before:
            self._size_time_columns()
        self.action("view.snapping").setChecked(settings.snapping)
        if settings.validation_profile != self.doc.validation_profile:
            self.doc.set_validation_profile(settings.validation_profile)
        self._catalogue_path = _suggestion_source(settings)
        self.refresh_party_directory()

    def refresh_party_directory(self) -> None:
        """Offer the catalogue's people and companies while typing a name in the parties table.

        A missing or unreadable catalogue only means no suggestions, never an error.
        """
        path = getattr(self, "_catalogue_path", None)
        if path is None or not path.exists():
            self.parties.set_directory([])
            return
        from cuesheet_app.rights.catalogue import Catalogue, CatalogueError
        from cuesheet_app.rights.schema import SchemaError

        try:
            with Catalogue(path) as catalogue:
                entries = catalogue.parties("")
        except (CatalogueError, SchemaError, OSError, sqlite3.Error) as exc:
            log.info("No party suggestions from %s: %s", path, exc)
            entries = []
        self.parties.set_directory([
            Party(first_name=e.first_name, last_name=e.last_name, company=e.company, pro=e.pro, ipi=e.ipi)
            for e in entries])

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_timer.start()
        return super().eventFilter(obj, event)

    def fit_text_columns(self) -> None:
        """Title, Composers and Publishers as wide as their longest entry (within bounds).

        Everything stays within the table's width (no sideways scrolling): when space is short
        each gives up the same share of what it wanted above its minimum, and the title keeps
        at least 110 px. Spare width goes to the title. Cut-off text shows whole on hover
        (``FullTextDelegate``).
        """
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        text_cols = [COLUMN_INDEX[k] for k in STRETCH_COLUMNS]
        visible = [i for i in range(len(COLUMNS)) if not self.table.isColumnHidden(i)]
        fixed = sum(self.table.columnWidth(i) for i in visible if i not in text_cols)
        avail = self.table.viewport().width() - fixed - 2
        rows = self.model.rowCount()
        step = max(1, rows // 300)  # a 2,000-cue sheet is measured on 300 rows
        lows = {"title": 110, "composers": 60, "publishers": 60}
        wants: dict[int, int] = {}
        low: dict[int, int] = {}
        for key in STRETCH_COLUMNS:
            i = COLUMN_INDEX[key]
            if self.table.isColumnHidden(i):
                continue
            longest = max((metrics.horizontalAdvance(str(self.model.index(r, i).data() or ""))
                           for r in range(0, rows, step)), default=0)
            head = header.fontMetrics().horizontalAdvance(COLUMNS[i].title) + 20
            low[i] = lows[key]
            wants[i] = max(low[i], head, min(280, longest + 16))
        title = COLUMN_INDEX["title"]
        # Short of room: the party lists give way to 120 px first, then the title to its minimum,
        # then the party lists to theirs (a title is what a person scans the table for).
        for floor, cols in ((120, [i for i in wants if i != title]), (None, [title]),
                            (None, [i for i in wants if i != title])):
            over = sum(wants.values()) - avail
            if over <= 0:
                break
            bottoms = {i: max(low[i], floor) if floor is not None else low[i] for i in cols if i in wants}
            room = {i: max(0, wants[i] - bottoms[i]) for i in bottoms}
            total = sum(room.values())
            for i in bottoms:
                if total:
                    wants[i] = max(bottoms[i], wants[i] - -(-over * room[i] // total))
        if title in wants and sum(wants.values()) < avail:
            wants[title] += avail - sum(wants.values())
        for i in text_cols:
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.Interactive)
        for i, w in wants.items():
            self.table.setColumnWidth(i, w)

    def _size_time_columns(self) -> None:
        """In, Out and Duration as wide as their header (which names the format) and a long value."""
        sample = {tc.TimeDisplay.TIMECODE: "00:00:00:00", tc.TimeDisplay.MINUTES: "000:00",
                  tc.TimeDisplay.SECONDS: "00000.00"}[self.model.time_display]
        header = self.table.horizontalHeader()
        for key in TIME_COLUMNS:
            i = COLUMN_INDEX[key]
            title = str(self.model.headerData(i, Qt.Orientation.Horizontal))
            head = max(header.fontMetrics().horizontalAdvance(line) for line in title.split("\n"))
            width = max(self.table.fontMetrics().horizontalAdvance(sample), head + 6) + 14
            self.table.setColumnWidth(i, width)

    def menu_actions(self) -> list[QAction]:
        """Edit, Cue and View actions; each action's ``objectName`` is its id in ui/shortcuts.py."""
        return list(self._actions)

    def action(self, action_id: str) -> QAction:
        for a in self._actions:
            if a.objectName() == action_id:
                return a
        raise KeyError(action_id)

    def edit_cue(self, cue_id: str, column: str = "title") -> None:
        """Open the cue's cell for typing (Enter / double-click in the timeline)."""
        row = self.model.row_of(cue_id)
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, COLUMN_INDEX[column]))
        if not index.isValid():  # filtered out: show everything again
            self.find_replace.filter_edit.clear()
            self.proxy.set_filter(text="", status="all", usage="")
            index = self.proxy.mapFromSource(self.model.index(row, COLUMN_INDEX[column]))
        self.table.scrollTo(index)
        self._select_row_at(index)
        self.table.setFocus()
        self.table.edit(index)

    # --- actions ------------------------------------------------------------
    def _build_actions(self) -> None:
        ops = self.ops
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        for action, action_id in ((undo, "edit.undo"), (redo, "edit.redo")):
            action.setObjectName(action_id)
            action.setShortcuts([QKeySequence(k) for k in shortcuts.keys_of(action_id)])
            self._actions.append(action)
        table: list[tuple[str, Any, bool]] = [
            ("edit.find_replace", self._show_find_replace, False),
            ("edit.undo_history", lambda: self.tabs.setCurrentWidget(self.history), False),
            ("edit.select_all", ops.select_all, False),
            ("cue.add", ops.add_at_playhead, False),
            ("cue.split", ops.split_at_playhead, False),
            ("cue.merge", ops.merge_selected, False),
            ("cue.deactivate", ops.delete_selected, False),
            ("cue.remove", ops.remove_selected, False),
            ("cue.set_in", ops.set_in_from_playhead, False),
            ("cue.set_out", ops.set_out_from_playhead, False),
            ("cue.nudge_left", lambda: ops.nudge(-1), False),
            ("cue.nudge_right", lambda: ops.nudge(1), False),
            ("cue.nudge_left_big", lambda: ops.nudge(-1, big=True), False),
            ("cue.nudge_right_big", lambda: ops.nudge(1, big=True), False),
            ("cue.previous", lambda: ops.select_adjacent(-1), False),
            ("cue.next", lambda: ops.select_adjacent(1), False),
            ("cue.edit", ops.edit_selected, False),
            ("cue.play", ops.play_selected, False),
            ("cue.parties", lambda: self.tabs.setCurrentIndex(0), False),
            ("view.zoom_in", lambda: self.timeline.zoom(1.5), False),
            ("view.zoom_out", lambda: self.timeline.zoom(1 / 1.5), False),
            ("view.zoom_fit", self.timeline.zoom_to_fit, False),
            ("view.snapping", None, True),
        ]
        for action_id, slot, checkable in table:
            action = shortcuts.make_action(action_id, self, slot, checkable=checkable)
            scope = shortcuts.shortcut(action_id).scope
            if scope == "window":
                self.addAction(action)
            else:
                # Cue keys act where cues are: the timeline, and the cue table while no cell
                # is being edited (not in the parties table, the find fields or the header form).
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                self.timeline.addAction(action)
                if scope == "editor":
                    self.table.addAction(action)
            self._actions.append(action)
        snapping = self.action("view.snapping")
        snapping.setChecked(self.timeline.snapping)
        snapping.toggled.connect(lambda on: setattr(self.timeline, "snapping", on))
        self.addAction(undo)
        self.addAction(redo)

    def _show_find_replace(self) -> None:
        self.tabs.setCurrentWidget(self.find_replace)
        self.find_replace.focus_find()

    # --- selection sync ---------------------------------------------------
    def _table_selection_changed(self, *_args: object) -> None:
        if self._syncing:
            return
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()})
        ids = [self.model.cue_at(r).id for r in rows if 0 <= r < self.model.rowCount()]
        self._syncing = True
        try:
            self.ops.active_edge = None
            self.ops.end_nudge_run()
            self.doc.set_selection(ids)
        finally:
            self._syncing = False
        self._show_parties_of_selection()

    def _doc_selection_changed(self, ids: list[str]) -> None:
        self._show_parties_of_selection()
        if self._syncing:
            return
        self._syncing = True
        try:
            selection = QItemSelection()
            last = QModelIndex()
            for cue_id in ids:
                row = self.model.row_of(cue_id)
                if row < 0:
                    continue
                left = self.proxy.mapFromSource(self.model.index(row, 0))
                if left.isValid():
                    right = left.siblingAtColumn(len(COLUMNS) - 1)
                    selection.select(left, right)
                    last = left
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            self.table.selectionModel().select(selection, flags)
            if last.isValid():
                self.table.scrollTo(last)
        finally:
            self._syncing = False

    # --- parties ------------------------------------------------------------
    def _selected_cue(self) -> Cue | None:
        sel = self.doc.selection
        if not sel:
            return None
        try:
            return self.doc.sheet.cue_by_id(sel[0])
        except KeyError:
            return None

    def _show_parties_of_selection(self, force: bool = False) -> None:
        cue = self._selected_cue()
        cue_id = cue.id if cue else None
        if cue_id == self._parties_cue and not force:
            return
        self._parties_cue = cue_id
        self.parties.setEnabled(cue is not None)
        if cue is None:
            self.parties.set_parties([])
            self.parties_title.setText("Select a cue to edit its composers and publishers")
            self.parties.set_copy_sources([])
            self.parties.set_track_apply_visible(False)
            return
        self.parties.set_parties(cue.parties)
        title = f"Cue {cue.seq or '–'} {html.escape(cue.cue_number)}  <b>{html.escape(cue.title)}</b>"
        if cue.provenance.filled_from_catalogue:
            title += "  <span style='color:#2d6a9f'>· rights filled from the catalogue</span>"
        self.parties_title.setText(title)
        self._refresh_party_helpers(cue)

    def _refresh_party_helpers(self, cue: Cue) -> None:
        sources: list[tuple[str, list[Party]]] = []
        seen: set[str] = set()
        for other in self.doc.sheet.cues:
            if other.id == cue.id or not other.parties:
                continue
            key = f"{other.title}|{[p.to_dict() for p in other.parties]}"
            if key in seen:
                continue
            seen.add(key)
            sources.append((f"Cue {other.seq or '–'} – {other.title}", other.parties))
            if len(sources) >= MAX_COPY_SOURCES:
                break
        self.parties.set_copy_sources(sources)
        self.parties.set_track_apply_visible(bool(self._same_track(cue)))

    def _same_track(self, cue: Cue) -> list[str]:
        """Other cues of the same recording: same ISRC, or same title when either has no ISRC."""
        title = cue.title.strip().casefold()
        out = []
        for other in self.doc.sheet.cues:
            if other.id == cue.id:
                continue
            if cue.isrc and other.isrc:
                if cue.isrc == other.isrc:
                    out.append(other.id)
            elif title and other.title.strip().casefold() == title and other.identified:
                out.append(other.id)
        return out

    def _parties_edited(self, parties: list[Party]) -> None:
        cue = self._selected_cue()
        if cue is None:
            return
        self._applying_parties = True
        try:
            self.ops.push(lambda: edits.set_fields(self.doc.sheet, cue.id, description="Edit parties", parties=parties))
        finally:
            self._applying_parties = False

    def _apply_to_track(self, parties: list[Party]) -> None:
        cue = self._selected_cue()
        if cue is None:
            return
        ids = [cue.id, *self._same_track(cue)]
        self.ops.push(lambda: edits.set_parties(self.doc.sheet, ids, parties))
        self._say(f"Parties set on {len(ids)} cues of “{cue.title}”")

    def _fields_changed(self, cue_id: str, names: list[str]) -> None:
        if cue_id == self._parties_cue and not self._applying_parties and (
                "parties" in names or "title" in names or "seq" in names):
            self._show_parties_of_selection(force=True)

    # --- misc -----------------------------------------------------------------
    def _select_row_at(self, index: QModelIndex) -> None:
        """That cue alone, its cell current. Not ``setCurrentIndex``: with Ctrl held (just after a
        Ctrl+… shortcut) that toggles the row, and the cue would be deselected instead."""
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)

    def _finding_activated(self, finding: Any) -> None:
        if finding.cue_id is None:
            if finding.field and finding.field.startswith("header."):
                self.headerFieldRequested.emit(finding.field.removeprefix("header."))
            return
        row = self.model.row_of(finding.cue_id)
        col = self.model.findings_column(finding)
        index = self.proxy.mapFromSource(self.model.index(row, col))
        if index.isValid():
            self.table.scrollTo(index)
            self._select_row_at(index)
        if finding.field == "parties":
            self.tabs.setCurrentIndex(0)

    TIMELINE_MENU: tuple[str, ...] = (
        "cue.edit", "cue.play", "", "cue.split", "cue.merge", "cue.set_in", "cue.set_out", "",
        "cue.deactivate", "cue.remove", "", "cue.add", "view.zoom_fit", "view.snapping",
    )

    def timeline_menu(self) -> QMenu:
        """The timeline's right-click menu: the cue actions (same keys as the Cue menu)."""
        menu = QMenu(self)
        has_selection = bool(self.doc.selection)
        for action_id in self.TIMELINE_MENU:
            if not action_id:
                menu.addSeparator()
                continue
            action = self.action(action_id)
            action.setEnabled(has_selection or not action_id.startswith("cue.") or action_id == "cue.add")
            menu.addAction(action)
        menu.aboutToHide.connect(self._enable_actions)  # the actions are shared with the keys
        return menu

    def _enable_actions(self) -> None:
        for action_id in self.TIMELINE_MENU:
            if action_id:
                self.action(action_id).setEnabled(True)

    def _timeline_menu(self, pos: QPoint) -> None:
        self.timeline_menu().exec(self.timeline.mapToGlobal(pos))
        self._enable_actions()

    def _column_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for i, col in enumerate(COLUMNS):
            action = menu.addAction(col.title)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(i))
            action.toggled.connect(lambda on, c=i: self.table.setColumnHidden(c, not on))
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))

    def _settle_heap_later(self) -> None:
        if len(self.doc.sheet.cues) >= LARGE_PROJECT_CUES:
            QTimer.singleShot(0, settle_heap)

    def set_column_visible(self, key: str, visible: bool) -> None:
        self.table.setColumnHidden(COLUMN_INDEX[key], not visible)

    def hidden_columns(self) -> list[str]:
        """Keys of the cue table's hidden columns (the main window remembers them)."""
        return [col.key for i, col in enumerate(COLUMNS) if self.table.isColumnHidden(i)]

    def set_hidden_columns(self, keys: list[str]) -> None:
        """Hide exactly these columns; unknown keys (from an older version) are ignored."""
        wanted = set(keys)
        for i, col in enumerate(COLUMNS):
            self.table.setColumnHidden(i, col.key in wanted)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.message.emit(text)


def _suggestion_source(settings: Settings) -> Path:
    """Name suggestions come from a local file: the personal catalogue, or a team catalogue's
    read cache (typing must never wait on the network)."""
    from cuesheet_app.rights.location import is_server_url, settings_location

    location = settings_location(settings, strict=False)
    if is_server_url(str(location)):
        from cuesheet_app.rights.offline import cache_place

        return cache_place(str(location)).cache
    return Path(location)
