"""The rights catalogue window: search, edit a work's rights, tidy the party directory,
import with a preview, back up.

It opens its own connection to the catalogue file, so it can stay open beside project
windows and the CLI; it re-reads when it is activated, so edits made elsewhere show up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain.identifiers import format_isrc, format_iswc
from cuesheet_app.domain.model import Party
from cuesheet_app.domain.parties import format_parties
from cuesheet_app.domain.progress import Progress
from cuesheet_app.domain.vocab import ROLES
from cuesheet_app.rights.backup import BackupError, export_catalogue
from cuesheet_app.rights.catalogue import Catalogue, CatalogueError, ConflictError
from cuesheet_app.rights.importer import ImportReport, import_file
from cuesheet_app.rights.location import is_server_url
from cuesheet_app.rights.offline import open_catalogue
from cuesheet_app.rights.records import DirectoryParty, Recording, SearchHit, Work
from cuesheet_app.storage.atomic import WriteError
from cuesheet_app.ui.full_text import FullTextDelegate
from cuesheet_app.ui.jobs import JobRunner
from cuesheet_app.ui.parties_editor import PartiesEditor

_Index = QModelIndex | QPersistentModelIndex
HIT_COLUMNS = ("Title", "Artists", "Library / code", "ISRC", "ISWC", "Writers", "Publishers")


class HitsModel(QAbstractTableModel):
    """Search results: one row per recording (or recording-less work)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hits: list[SearchHit] = []

    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self.hits = hits
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.hits)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HIT_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HIT_COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        hit = self.hits[index.row()]
        rec, work = hit.recording, hit.work
        col = index.column()
        if col == 0:
            return hit.title
        if col == 1:
            return ", ".join(rec.artists) if rec else ""
        if col == 2:
            return " ".join(x for x in (rec.library, rec.catalogue_number,
                                        rec.track_number and f"#{rec.track_number}") if x) if rec else ""
        if col == 3:
            return format_isrc(rec.isrc) if rec and rec.isrc else ""
        if col == 4:
            return format_iswc(work.iswc) if work and work.iswc else ""
        if work is None:
            return "—"
        group = [p for p in work.parties if (p.is_writer if col == 5 else p.is_publisher)]
        return format_parties(group)


class ImportPreviewDialog(QDialog):
    """What an import would add, change and skip, before anything is written."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import preview")
        self.report = report
        self.summary = QLabel(report.summary(), self)
        self.table = QTableWidget(len(report.outcomes), 4, self)
        self.table.setHorizontalHeaderLabels(["Row", "Action", "Title", "Changes / reason"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        labels = {"add": "Add", "update": "Update", "unchanged": "Unchanged", "skip": "Skipped"}
        for r, o in enumerate(report.outcomes):
            detail = o.reason if o.action == "skip" else "; ".join(o.changes)
            action = labels.get(o.action, o.action)
            if o.problems and o.action != "skip":
                # The row applies; the fields it names are left out (a bad field loses only itself).
                action += " (with problems)"
                detail = "; ".join(filter(None, [detail, "left out: " + "; ".join(o.problems)]))
            for c, text in enumerate((o.where, action, o.title, detail)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if o.action == "skip":
                    item.setForeground(Qt.GlobalColor.darkRed)
                elif o.problems:
                    item.setForeground(Qt.GlobalColor.darkYellow)
                self.table.setItem(r, c, item)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnsToContents()
        writes = report.count("add") + report.count("update")
        buttons = QDialogButtonBox(self)
        self.import_button = buttons.addButton(f"Import {writes} row(s)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(writes > 0)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(900, 420)


REC_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Track title"), ("artists", "Artists"), ("album", "Album"), ("label", "Label"),
    ("library", "Library"), ("catalogue_number", "Catalogue / CD code"), ("track_number", "Track no."),
    ("isrc", "ISRC"), ("release_date", "Release date"), ("duration_s", "Duration (s)"),
)


class WorkEditor(QWidget):
    """A recording's details and its work's title, ISWC, alternative titles and credits.

    Nothing is written until "Save" (one transaction for recording and work together).
    """

    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("Select a track or work", self)
        self.heading.setObjectName("workHeading")
        self.heading.setStyleSheet("font-weight: bold;")
        self.recording_box = QGroupBox("Recording", self)
        grid = QGridLayout(self.recording_box)
        self.rec_edits: dict[str, QLineEdit] = {}
        for i, (name, label) in enumerate(REC_FIELDS):
            edit = QLineEdit(self.recording_box)
            if name == "artists":
                edit.setPlaceholderText("separated by ;")
            elif name == "isrc":
                edit.setPlaceholderText("CC-XXX-YY-NNNNN")
            self.rec_edits[name] = edit
            grid.addWidget(QLabel(label, self.recording_box), i // 2, (i % 2) * 2)
            grid.addWidget(edit, i // 2, (i % 2) * 2 + 1)
        self.work_box = QGroupBox("Work and rights", self)
        self.title = QLineEdit(self)
        self.iswc = QLineEdit(self)
        self.iswc.setPlaceholderText("T-DDD.DDD.DDD-C")
        self.alt_titles = QLineEdit(self)
        self.alt_titles.setPlaceholderText("other titles, separated by ;")
        form = QFormLayout()
        form.addRow("Work title", self.title)
        form.addRow("ISWC", self.iswc)
        form.addRow("Also known as", self.alt_titles)
        self.parties = PartiesEditor(self)
        self.parties.copy_button.setVisible(False)  # copying from other cues means nothing here
        self.directory = QComboBox(self)
        self.directory.setEditable(True)
        self.directory.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.directory.lineEdit().setPlaceholderText("Pick a writer or publisher from the directory…")
        self.directory_role = QComboBox(self)
        for term in ROLES:
            self.directory_role.addItem(f"{term.code} – {term.label}", term.code)
        self.add_from_directory = QPushButton("Add", self)
        pick = QHBoxLayout()
        pick.addWidget(self.directory, 1)
        pick.addWidget(self.directory_role)
        pick.addWidget(self.add_from_directory)
        work_layout = QVBoxLayout(self.work_box)
        work_layout.addLayout(form)
        work_layout.addWidget(self.parties, 1)
        work_layout.addLayout(pick)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.save_button = QPushButton("Save", self)
        self.revert_button = QPushButton("Revert", self)
        actions = QHBoxLayout()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.revert_button)
        actions.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.recording_box)
        layout.addWidget(self.work_box, 1)
        layout.addLayout(actions)
        self.save_button.clicked.connect(self.saveRequested)
        self.add_from_directory.clicked.connect(self._add_from_directory)
        self._entries: list[DirectoryParty] = []
        self.set_enabled(False)

    def set_enabled(self, enabled: bool) -> None:
        for w in (self.recording_box, self.work_box, self.save_button, self.revert_button):
            w.setEnabled(enabled)

    def set_directory(self, entries: list[DirectoryParty]) -> None:
        self._entries = entries
        self.directory.clear()
        for e in entries:
            label = e.display_name + "".join(f" [{x}]" for x in (e.pro, e.ipi) if x)
            self.directory.addItem(label, e.id)
        self.directory.setCurrentIndex(-1)

    def _add_from_directory(self) -> None:
        i = self.directory.currentIndex()
        if i < 0 or i >= len(self._entries):
            return
        party = self._entries[i].as_party(self.directory_role.currentData())
        self.parties.set_parties([*self.parties.parties(), party])
        self.parties.partiesEdited.emit(self.parties.parties())

    def show_hit(self, hit: SearchHit | None) -> None:
        self.status.clear()
        for edit in (*self.rec_edits.values(), self.title, self.iswc, self.alt_titles):
            edit.clear()
        if hit is None:
            self.heading.setText("Select a track or work")
            self.parties.set_parties([])
            self.set_enabled(False)
            return
        rec, work = hit.recording, hit.work
        self.heading.setText(hit.title or "New track")
        self.set_enabled(True)
        self.recording_box.setVisible(rec is not None)
        if rec is not None:
            for name, edit in self.rec_edits.items():
                value = getattr(rec, name)
                if name == "artists":
                    value = "; ".join(value)
                elif name == "isrc" and value:
                    value = format_isrc(value)
                edit.setText(value)
        self.title.setText(work.title if work else hit.title)
        self.iswc.setText(format_iswc(work.iswc) if work and work.iswc else "")
        self.alt_titles.setText("; ".join(work.alt_titles) if work else "")
        self.parties.set_parties([Party.from_dict(p.to_dict()) for p in work.parties] if work else [])

    def work(self, work_id: int) -> Work:
        title = self.title.text().strip() or self.rec_edits["title"].text().strip()
        return Work(id=work_id, title=title, iswc=self.iswc.text().strip(),
                    alt_titles=[t.strip() for t in self.alt_titles.text().split(";") if t.strip()],
                    parties=self.parties.parties())

    def recording(self, base: Recording) -> Recording:
        """``base`` (the stored recording) with the form's values."""
        rec = Recording(**{**base.__dict__})
        for name, edit in self.rec_edits.items():
            text = edit.text().strip()
            if name == "artists":
                rec.artists = [a.strip() for a in text.split(";") if a.strip()]
            else:
                setattr(rec, name, text)
        return rec

    def show_status(self, text: str, error: bool) -> None:
        self.status.setStyleSheet("color: #a00000;" if error else "color: #006000;")
        self.status.setText(text)


class DirectoryPanel(QWidget):
    """The party directory: find duplicates by name, merge them, correct PRO/IPI once for all works."""

    COLUMNS = ("Name", "PRO", "IPI", "Credits", "Id")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find a writer or publisher (name or IPI)")
        self.search.setClearButtonEnabled(True)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setItemDelegate(FullTextDelegate(self.table))  # cut-off names show whole on hover
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnHidden(self.COLUMNS.index("Id"), True)  # the database's key: no use to a person
        self.merge_button = QPushButton("Merge selected into current", self)
        self.merge_button.setToolTip("Every credit of the other selected entries moves to the current one; "
                                     "they are then removed")
        self.merge_button.setEnabled(False)
        self.table.itemSelectionChanged.connect(self._update_merge)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.merge_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.entries: list[DirectoryParty] = []

    def set_entries(self, entries: list[DirectoryParty]) -> None:
        self.entries = entries
        self.table.blockSignals(True)
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            values = (e.display_name, e.pro, e.ipi, str(e.uses), str(e.id))
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c in (0, 3, 4):
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.entries[r].id for r in rows]

    def _update_merge(self) -> None:
        """Merging needs a current entry to keep and at least one other selected entry."""
        keep = self.current_id()
        self.merge_button.setEnabled(keep is not None and any(i != keep for i in self.selected_ids()))

    def current_id(self) -> int | None:
        row = self.table.currentRow()
        return self.entries[row].id if 0 <= row < len(self.entries) else None


class CatalogueWindow(QMainWindow):
    """Browse and edit the rights catalogue at ``path`` (created when missing)."""

    importFinished = Signal(object)  # ImportReport, or None when cancelled or failed

    def __init__(self, path: Path | str, parent: QWidget | None = None, user: str = "") -> None:
        super().__init__(parent)
        # A SQLite file, or a team server URL (the local read cache stands in when it is away).
        self.path: Path | str = path if is_server_url(str(path)) else Path(path)
        self.catalogue: Catalogue = open_catalogue(self.path, user=user)
        self.setWindowTitle(f"Rights catalogue — {Path(self.path).name if isinstance(self.path, Path) else self.catalogue.where}")
        self.resize(1280, 720)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search title, writer, publisher, artist, ISRC, ISWC, catalogue code")
        self.search.setClearButtonEnabled(True)
        self.hits = HitsModel(self)
        self.table = QTableView(self)
        self.table.setItemDelegate(FullTextDelegate(self.table))
        self.table.setModel(self.hits)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        # One line per hit: long titles and library names are elided, never wrapped to two lines.
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.horizontalHeader().setStretchLastSection(True)
        codes = self.table.fontMetrics().horizontalAdvance("QZ-DEM-26-00001") + 16  # ISRC and ISWC in full
        for col, width in enumerate((170, 110, 130, codes, codes, 180)):
            self.table.setColumnWidth(col, width)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("catalogueCount")
        self.count_label.setWordWrap(True)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)
        self.editor = WorkEditor(self)
        split = QSplitter(self)
        split.addWidget(left)
        split.addWidget(self.editor)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([620, 660])  # title to ISWC on the left; the parties' seven columns on the right
        self.directory = DirectoryPanel(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(split, "Tracks and works")
        self.tabs.addTab(self.directory, "Party directory")
        from cuesheet_app.ui.catalogue_team import TeamFeatures

        self.team = TeamFeatures(self)
        self.tabs.addTab(self.team.history, "History")
        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.addWidget(self.team.banner)
        central_layout.addWidget(self.tabs, 1)
        self.close_buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, central)
        self.close_buttons.rejected.connect(self.close)
        central_layout.addWidget(self.close_buttons)
        self.setCentralWidget(central)
        self.team.changedByOthers.connect(self._others_saved)
        self.close_action = QAction("Close", self)
        self.close_action.setShortcuts([QKeySequence(Qt.Key.Key_Escape), QKeySequence(QKeySequence.StandardKey.Close)])
        self.close_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.close_action.triggered.connect(self.close)
        self.addAction(self.close_action)

        toolbar = self.addToolBar("Catalogue")
        toolbar.setObjectName("catalogueToolbar")
        self.import_action = QAction("Import…", self)
        self.import_action.setToolTip("Import a metadata sheet (.csv/.xlsx) or audio files' tags, with a preview")
        self.export_action = QAction("Export / back up…", self)
        self.new_action = QAction("New track", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.delete_action = QAction("Delete", self)
        self.refresh_action = QAction("Refresh", self)
        self.refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        for a in (self.new_action, self.delete_action, self.import_action, self.export_action,
                  self.refresh_action):
            toolbar.addAction(a)
        self.new_action.triggered.connect(self.new_entry)
        self.delete_action.triggered.connect(lambda: self.delete_current())
        self.import_action.triggered.connect(self._choose_import)
        self.export_action.triggered.connect(self._choose_export)
        self.refresh_action.triggered.connect(self.refresh)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_row(cur.row()))
        self.editor.saveRequested.connect(self.save_current)
        self.editor.revert_button.clicked.connect(lambda: self._show_row(self.table.currentIndex().row()))
        self.directory.search.textChanged.connect(lambda _t: self.refresh_directory())
        self.directory.merge_button.clicked.connect(self.merge_selected_parties)
        self.directory.table.itemChanged.connect(self._directory_edited)
        self.jobs = JobRunner(max_jobs=1, name="catalogue", parent=self)
        self.jobs.jobProgress.connect(self._import_progress)
        self._current: SearchHit | None = None
        self.refresh()

    # --- reading ------------------------------------------------------------
    def refresh(self, keep_editor: bool = False) -> None:
        """Run the search again, keeping the selected entry selected when it still matches.

        ``keep_editor``: the form keeps what the user is typing (another supervisor saved meanwhile;
        Save then shows both versions rather than losing either).
        """
        keep = self._key(self._current)
        self.hits.set_hits(self.catalogue.search(self.search.text()))
        n = len(self.hits.hits)
        counts = self.catalogue.counts()
        if not any(counts.values()):
            self.count_label.setText(
                "The catalogue is empty. It fills when you import a library's metadata sheet or audio files' "
                "tags (Import…), add a track by hand (New track), or keep the rights you type into a cue "
                "(the editor offers to learn them).")
        else:
            self.count_label.setText(
                f"{n} shown · {counts['works']} work(s), {counts['recordings']} recording(s), "
                f"{counts['parties']} part{'y' if counts['parties'] == 1 else 'ies'} in the directory")
        self._fit_columns()
        row = next((i for i, h in enumerate(self.hits.hits) if self._key(h) == keep), -1) if keep else -1
        if keep_editor and self._current is not None:
            if row >= 0:
                selection = self.table.selectionModel()
                selection.blockSignals(True)
                self.table.selectRow(row)
                selection.blockSignals(False)
        elif row >= 0:
            self.table.selectRow(row)
        else:
            self._current = None
            self.editor.show_hit(None)
        self.editor.set_directory(self.catalogue.parties())
        self.refresh_directory()

    def _fit_columns(self) -> None:
        """Hit columns as wide as what they hold (60–260 px): titles, artists and libraries read whole."""
        header = self.table.horizontalHeader()
        for col in range(self.hits.columnCount() - 1):  # the last one stretches
            wanted = max(self.table.sizeHintForColumn(col), header.sectionSizeHint(col))
            self.table.setColumnWidth(col, max(60, min(260, wanted)))

    @staticmethod
    def _key(hit: SearchHit | None) -> tuple[int, int] | None:
        if hit is None:
            return None
        return (hit.recording.id if hit.recording else 0, hit.work.id if hit.work else 0)

    def refresh_directory(self) -> None:
        self.directory.set_entries(self.catalogue.parties(self.directory.search.text()))

    def _show_row(self, row: int) -> None:
        self._current = self.hits.hits[row] if 0 <= row < len(self.hits.hits) else None
        self.editor.show_hit(self._current)
        self.team.show_history(self._current.work if self._current else None)

    def _others_saved(self, changes: list) -> None:
        """Live refresh: another supervisor committed a save (LISTEN/NOTIFY)."""
        who = ", ".join(sorted({c.by for c in changes}))
        cur = self._current
        mine = cur is not None and any(
            c.many or (cur.work is not None and cur.work.id in c.works)
            or (cur.recording is not None and cur.recording.id in c.recordings) for c in changes)
        self.refresh(keep_editor=True)
        if mine:
            self.editor.show_status(f"{who} just saved this entry. Saving yours will show both versions.", error=True)
            if cur is not None and cur.work is not None:
                self.team.show_history(cur.work)
        self.statusBar().showMessage(f"Updated: {who} saved changes", 5000)

    def replace_catalogue(self, catalogue: Catalogue) -> None:
        """Swap the open catalogue (the read cache for the server when it is back)."""
        old, self.catalogue = self.catalogue, catalogue
        old.close()
        self.refresh()

    def select_first(self) -> None:
        if self.hits.hits:
            self.table.selectRow(0)

    # --- writing ------------------------------------------------------------
    def save_current(self) -> bool:
        """Store the edited recording and work in one transaction; a recording without a work gets one."""
        hit = self._current
        if hit is None:
            return False
        work = self.editor.work(hit.work.id if hit.work else 0)
        work.version = hit.work.version if hit.work else 0  # a save over a newer version is refused
        rec = self.editor.recording(hit.recording) if hit.recording is not None else None
        try:
            with self.catalogue.transaction():
                self.catalogue.save_work(work)
                if rec is not None:
                    rec.work_id = work.id
                    self.catalogue.save_recording(rec)
        except ConflictError as exc:
            return self._conflict(exc, hit)
        except CatalogueError as exc:
            self.editor.show_status(str(exc), error=True)
            return False
        self._current = SearchHit(work=work, recording=rec)
        self.refresh()
        self.team.update_state()  # offline: the banner counts the edits waiting
        self.editor.show_status("Saved." if not getattr(self.catalogue, "offline", False)
                                else "Saved locally; it is sent when the team server is back.", error=False)
        return True

    def _conflict(self, exc: ConflictError, hit: SearchHit) -> bool:
        """Someone saved this entry since it was opened: show both, and do what the user picks."""
        from cuesheet_app.ui.catalogue_team import ConflictDialog, merge_works

        dialog = ConflictDialog(exc, self)
        dialog.exec()
        theirs = exc.theirs
        if dialog.choice == ConflictDialog.USE_MINE and theirs is not None:
            # Based on theirs now: the save replaces it, and the history shows both steps.
            if isinstance(theirs, Work) and hit.work is not None:
                hit.work.version = theirs.version
            elif isinstance(theirs, Recording) and hit.recording is not None:
                hit.recording.version = theirs.version
            return self.save_current()
        if dialog.choice == ConflictDialog.MERGE and isinstance(theirs, Work) and isinstance(exc.ours, Work):
            merged = merge_works(exc.ours, theirs)
            self._current = SearchHit(work=merged, recording=self.catalogue.get_recording(hit.recording.id)
                                      if hit.recording is not None and hit.recording.id else hit.recording)
            self.editor.show_hit(self._current)
            self.editor.show_status("Merged: theirs plus what only yours had. Check it, then Save.", error=False)
            return False
        self.editor.show_status("Kept their version; your edits were not saved.", error=False)
        self._current = None
        self.refresh()
        return False

    def new_entry(self) -> None:
        """A blank track to fill in by hand; nothing is stored until Save."""
        self.table.clearSelection()
        self._current = SearchHit(work=None, recording=Recording())
        self.editor.show_hit(self._current)
        self.editor.rec_edits["title"].setFocus()

    def delete_current(self, confirm: bool = True) -> bool:
        """Delete the selected recording (its work too, when no other recording uses it)."""
        hit = self._current
        if hit is None or (hit.recording is None and hit.work is None):
            return False
        if hit.recording is not None and not hit.recording.id and hit.work is None:
            self._current = None  # an unsaved new entry
            self.refresh()
            return True
        if confirm and QMessageBox.question(
                self, "Delete", f"Delete “{hit.title}” from the catalogue?") != QMessageBox.StandardButton.Yes:
            return False
        with self.catalogue.transaction():
            if hit.recording is not None and hit.recording.id:
                self.catalogue.delete_recording(hit.recording.id)
            if hit.work is not None and not self.catalogue.recordings_of_work(hit.work.id):
                self.catalogue.delete_work(hit.work.id)
        self._current = None
        self.refresh()
        self.statusBar().showMessage(f"Deleted “{hit.title}”", 5000)
        return True

    def merge_selected_parties(self) -> int:
        keep = self.directory.current_id()
        others = [i for i in self.directory.selected_ids() if i != keep]
        if keep is None or not others:
            self.directory.status.setText("Select the entries to merge; the current one is kept.")
            return 0
        try:
            moved = self.catalogue.merge_parties(keep, others)
        except CatalogueError as exc:
            self.directory.status.setText(str(exc))
            return 0
        self.directory.status.setText(f"Merged {len(others)} entr{'y' if len(others) == 1 else 'ies'}; "
                                      f"{moved} credit(s) moved.")
        self.refresh()
        return moved

    def _directory_edited(self, item: QTableWidgetItem) -> None:
        entry = self.directory.entries[item.row()]
        if item.column() == 1:
            entry.pro = item.text().strip().upper()
        elif item.column() == 2:
            entry.ipi = item.text().strip()
        try:
            self.catalogue.update_party(entry)
        except CatalogueError as exc:
            self.directory.status.setText(str(exc))
        self.refresh()

    def import_path(self, path: Path, confirm: Callable[[ImportReport], bool] | None = None) -> None:
        """Preview in the background, ask (``confirm(report)``; the preview dialog by default),
        then import in the background; ``importFinished`` tells the outcome.

        A worker opens its own connection (SQLite connections stay in their thread), so a big
        library sheet never freezes the window.
        """
        ask = confirm or (lambda report: ImportPreviewDialog(report, self).exec() == QDialog.DialogCode.Accepted)
        self._set_importing(True)
        self.jobs.submit(f"Checking {path.name}", self._import_work(path, dry_run=True),
                         on_done=lambda preview: self._previewed(path, preview, ask),
                         on_error=self._import_failed)

    def _import_work(self, path: Path, dry_run: bool) -> Callable[..., ImportReport]:
        catalogue_path = self.path
        user = self.catalogue.user

        def work(progress: Callable[[Progress], None], _cancel: object) -> ImportReport:
            def report(phase: str, done: int, total: int) -> None:
                progress(Progress(phase, done / total if total else None, f"{done}/{total}"))

            try:
                with open_catalogue(catalogue_path, user=user) as cat:
                    return import_file(cat, path, dry_run=dry_run, progress=report)
            except CatalogueError as exc:  # a message written for users, like the job runner's own
                raise ValueError(str(exc)) from exc

        return work

    def _previewed(self, path: Path, preview: ImportReport, ask: Callable[[ImportReport], bool]) -> None:
        if not ask(preview):
            self._set_importing(False)
            self.statusBar().showMessage("Import cancelled: nothing was written", 5000)
            self.importFinished.emit(None)
            return
        self.jobs.submit(f"Importing {path.name}", self._import_work(path, dry_run=False),
                         on_done=self._imported, on_error=self._import_failed)

    def _imported(self, report: ImportReport) -> None:
        self._set_importing(False)
        self.refresh()
        self.statusBar().showMessage(report.summary(), 10000)
        self.importFinished.emit(report)

    def _import_failed(self, message: str, _details: str = "") -> None:
        self._set_importing(False)
        self.statusBar().showMessage(f"Import failed: {message}")
        self.importFinished.emit(None)

    def _set_importing(self, busy: bool) -> None:
        self.import_action.setEnabled(not busy)
        if busy:
            self.statusBar().showMessage("Reading…")

    def _import_progress(self, _job_id: str, p: Progress) -> None:
        self.statusBar().showMessage(f"{p.phase.capitalize()} {p.detail}")

    def export_path(self, path: Path) -> int | None:
        try:
            rows = export_catalogue(self.catalogue, path)
        except (BackupError, WriteError) as exc:
            QMessageBox.warning(self, "Export", str(exc))
            return None
        self.statusBar().showMessage(f"Backed up {rows} row(s) to {path}", 8000)
        return rows

    def _choose_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import into the catalogue", "",
            "Metadata sheets and audio (*.csv *.xlsx *.mp3 *.flac *.wav *.aif *.aiff *.m4a *.ogg);;All files (*)")
        if name:
            self.import_path(Path(name))

    def _choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Back up the catalogue", "catalogue-backup.xlsx",
                                              "Excel workbook (*.xlsx);;CSV (*.csv)")
        if name:
            self.export_path(Path(name))

    # --- Qt -----------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        # Another window or the CLI may have written meanwhile.
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() and self.isVisible():
            self.refresh()
        super().changeEvent(event)

    def closeEvent(self, event) -> None:  # noqa: ANN001 - Qt's QCloseEvent
        self.jobs.wait()  # an import in progress finishes its batch rather than being cut off
        self.team.close()
        self.catalogue.close()
        super().closeEvent(event)
