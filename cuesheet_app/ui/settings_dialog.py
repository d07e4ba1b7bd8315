"""Settings: engine, AudioShake key and URL, library folders, timing defaults, thresholds.

The settings file (``settings/store.py``) never holds the key: it goes to the OS
keyring through ``settings/secrets.set_api_key``. The key field shows the stored
key masked and only writes the keyring when the user changed it.
Network checks and indexing run on the dialog's own job runner, so the dialog
stays responsive and a slow server cannot freeze it.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.music_rules import RulesError
from cuesheet_app.domain.progress import CancelToken, Progress
from cuesheet_app.identify.registry import ENGINE_LABELS, ENGINE_NAMES
from cuesheet_app.rights.errors import CatalogueError
from cuesheet_app.settings import secrets
from cuesheet_app.settings.store import Settings, save_settings
from cuesheet_app.ui.edit_rules_form import EditRulesForm
from cuesheet_app.ui.jobs import JobRunner

log = logging.getLogger(__name__)


def local_engine_installed() -> bool:
    return importlib.util.find_spec("cuesheet_app.identify.local.library") is not None


def index_folders(folders: list[Path], library_dir: Path, progress, cancel: CancelToken) -> str:  # type: ignore[no-untyped-def]
    """Index reference tracks into the local library (incremental); returns a one-line summary."""
    from cuesheet_app.identify.local.library import Library

    report = Library(library_dir).add(folders, progress=progress, cancel=cancel)
    parts = [f"{len(report.added)} added", f"{len(report.updated)} updated",
             f"{len(report.unchanged)} unchanged"]
    if report.dropped:
        parts.append(f"{len(report.dropped)} dropped")
    text = "Indexed: " + ", ".join(parts) + "."
    if report.failed:
        path, why = report.failed[0]
        text += f" {len(report.failed)} file(s) failed, e.g. {Path(path).name}: {why}"
    return text


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``accept`` saves it and the key."""

    def __init__(self, settings: Settings, parent: QWidget | None = None, tab: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.settings = Settings(**vars(settings))
        self.settings.library_dirs = list(settings.library_dirs)
        self.settings.recent_projects = list(settings.recent_projects)
        self.runner = JobRunner(max_jobs=2, name="settings", parent=self)
        self._stored_key = secrets.get_api_key() or ""
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._general_tab(), "General")
        self.tabs.addTab(self._audioshake_tab(), "AudioShake")
        self.tabs.addTab(self._library_tab(), "Library")
        self.tabs.addTab(self._timing_tab(), "Timing && detection")
        self.edit_rules = EditRulesForm(self.settings.edit_rules, self)
        self.tabs.addTab(self.edit_rules, "Edit lists")
        from cuesheet_app.ui.team_catalogue_form import TeamCatalogueForm

        self.team_catalogue = TeamCatalogueForm(self.settings, self)
        self.tabs.addTab(self.team_catalogue, "Team catalogue")
        for i in range(self.tabs.count()):
            if tab and self.tabs.tabText(i).lower().startswith(tab.lower()):
                self.tabs.setCurrentIndex(i)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, 480)

    # --- tabs ------------------------------------------------------------------------------
    def _general_tab(self) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        self.engine = QComboBox(w)
        self.engine.setObjectName("engine")
        for name in ENGINE_NAMES:
            self.engine.addItem(ENGINE_LABELS.get(name, name), name)
        self.engine.setCurrentIndex(max(0, self.engine.findData(self.settings.default_engine)))
        form.addRow("Default engine:", self.engine)
        self.jobs = QSpinBox(w)
        self.jobs.setObjectName("jobsAtOnce")
        self.jobs.setRange(1, 16)
        self.jobs.setValue(self.settings.jobs_at_once)
        form.addRow("Jobs at once:", self.jobs)
        self.prepared_by = QLineEdit(self.settings.prepared_by, w)
        self.prepared_by.setObjectName("preparedBy")
        form.addRow("Prepared by:", self.prepared_by)
        self.prepared_email = QLineEdit(self.settings.prepared_by_email, w)
        form.addRow("Prepared by email:", self.prepared_email)
        return w

    def _audioshake_tab(self) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        self.api_key = QLineEdit(self._stored_key, w)
        self.api_key.setObjectName("apiKey")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("Paste the key from your AudioShake dashboard")
        form.addRow("API key:", self.api_key)
        from_env = bool(secrets.os.environ.get(secrets.ENV_VAR, "").strip())
        where = QLabel("Read from the AUDIOSHAKE_API_KEY environment variable." if from_env
                       else "Stored in the system keyring, never in a settings file.", w)
        where.setStyleSheet("color: palette(mid);")
        form.addRow("", where)
        self.base_url = QLineEdit(self.settings.audioshake_base_url, w)
        self.base_url.setObjectName("baseUrl")
        form.addRow("Base URL:", self.base_url)
        row = QHBoxLayout()
        self.test_button = QPushButton("Test connection", w)
        self.test_button.setObjectName("testConnection")
        self.test_button.clicked.connect(self.test_connection)
        row.addWidget(self.test_button)
        row.addStretch(1)
        form.addRow("", row)
        self.test_result = QLabel(w)
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        form.addRow("", self.test_result)
        return w

    def _library_tab(self) -> QWidget:
        w = QWidget(self)
        layout = QVBoxLayout(w)
        intro = QLabel("Folders with your production-music library (reference tracks). The local engine "
                       f"identifies episode music against them. The index lives in {self.settings.library_dir()}.", w)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.folders = QListWidget(w)
        self.folders.setObjectName("libraryFolders")
        self.folders.addItems(self.settings.library_sources)
        layout.addWidget(self.folders)
        row = QHBoxLayout()
        add = QPushButton("Add folder…", w)
        add.clicked.connect(self._add_folder)
        remove = QPushButton("Remove", w)
        remove.clicked.connect(lambda: [self.folders.takeItem(self.folders.row(i))
                                        for i in self.folders.selectedItems()])
        self.index_button = QPushButton("Index now", w)
        self.index_button.setObjectName("indexNow")
        self.index_button.clicked.connect(self.index_now)
        if not local_engine_installed():
            self.index_button.setEnabled(False)
            self.index_button.setToolTip("The local engine is not installed")
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        row.addWidget(self.index_button)
        layout.addLayout(row)
        self.index_progress = QProgressBar(w)
        self.index_progress.setObjectName("indexProgress")
        self.index_progress.hide()
        layout.addWidget(self.index_progress)
        self.index_result = QLabel(w)
        self.index_result.setWordWrap(True)
        layout.addWidget(self.index_result)
        return w

    def _timing_tab(self) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        self.frame_rate = QComboBox(w)
        self.frame_rate.setObjectName("frameRate")
        for rate in tc.RATES.values():
            self.frame_rate.addItem(rate.name + (" drop-frame" if rate.drop_frame else ""), rate.name)
        self.frame_rate.setCurrentIndex(max(0, self.frame_rate.findData(self.settings.default_frame_rate)))
        form.addRow("Default frame rate (audio-only files):", self.frame_rate)
        self.program_start = QLineEdit(self.settings.default_program_start, w)
        self.program_start.setObjectName("programStart")
        form.addRow("Program start timecode:", self.program_start)
        self.rounding = QComboBox(w)
        self.rounding.setObjectName("rounding")
        for r in tc.Rounding:
            self.rounding.addItem(r.label, r.value)
        self.rounding.setCurrentIndex(max(0, self.rounding.findData(self.settings.rounding)))
        form.addRow("Duration rounding (exports):", self.rounding)
        self.time_display = QComboBox(w)
        self.time_display.setObjectName("timeDisplay")
        for d in tc.TimeDisplay:
            self.time_display.addItem(d.label, d.value)
        self.time_display.setCurrentIndex(max(0, self.time_display.findData(self.settings.time_display)))
        self.time_display.setToolTip("How the editor shows In, Out and Duration. Exports keep each PRO's format.")
        form.addRow("Times in the editor:", self.time_display)
        self.merge_gap = QDoubleSpinBox(w)
        self.merge_gap.setObjectName("mergeGap")
        self.merge_gap.setRange(0, 60)
        self.merge_gap.setSuffix(" s")
        self.merge_gap.setValue(self.settings.merge_gap_s)
        form.addRow("Merge events of one track closer than:", self.merge_gap)
        self.min_len = QDoubleSpinBox(w)
        self.min_len.setObjectName("minCueLength")
        self.min_len.setRange(0, 120)
        self.min_len.setSuffix(" s")
        self.min_len.setValue(self.settings.min_cue_length_s)
        form.addRow("Minimum cue length:", self.min_len)
        self.short_action = QCheckBox("Drop shorter cues (otherwise keep them, flagged)", w)
        self.short_action.setChecked(self.settings.short_cue_action == "drop")
        form.addRow("", self.short_action)
        self.sensitivity = QSlider(w)
        self.sensitivity.setObjectName("sensitivity")
        self.sensitivity.setOrientation(self.sensitivity.orientation().Horizontal)
        self.sensitivity.setRange(0, 100)
        self.sensitivity.setValue(round(self.settings.detection_sensitivity * 100))
        form.addRow("Detection sensitivity (strict … catch all):", self.sensitivity)
        return w

    # --- actions ---------------------------------------------------------------------------
    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add library folder")
        if folder:
            self.folders.addItem(folder)

    def folder_list(self) -> list[str]:
        return [self.folders.item(i).text() for i in range(self.folders.count())]

    def test_connection(self) -> None:
        key = self.api_key.text().strip()
        url = self.base_url.text().strip()
        if not key:
            self.test_result.setText("Enter an API key first.")
            return
        self.test_button.setEnabled(False)
        self.test_result.setText("Checking…")

        def work(_progress, _cancel) -> str:  # type: ignore[no-untyped-def]
            from cuesheet_app.identify.audioshake.check import check_connection

            return check_connection(url, key)

        def done(message: str) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(secrets.redact(message, key))

        def failed(message: str, _details: str) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(secrets.redact(message, key))

        self.runner.submit("Test AudioShake connection", work, on_done=done, on_error=failed)

    def index_now(self) -> None:
        folders = [Path(f) for f in self.folder_list()]
        if not folders:
            self.index_result.setText("Add a library folder first.")
            return
        library_dir = self.settings.library_dir()
        self.index_button.setEnabled(False)
        self.index_progress.show()
        self.index_progress.setRange(0, 0)

        def work(progress, cancel):  # type: ignore[no-untyped-def]
            return index_folders(folders, library_dir, progress, cancel)

        def on_progress(job_id: str, p: Progress) -> None:
            if job_id != self._index_job.id:
                return
            if p.fraction is None:
                self.index_progress.setRange(0, 0)
            else:
                self.index_progress.setRange(0, 100)
                self.index_progress.setValue(int(p.fraction * 100))
            self.index_result.setText(f"{p.phase} {p.detail}".strip())

        def finish(text: str) -> None:
            self.index_button.setEnabled(True)
            self.index_progress.hide()
            self.index_result.setText(text)

        self.runner.jobProgress.connect(on_progress)
        self._index_job = self.runner.submit("Index library", work, on_done=finish,
                                             on_error=lambda msg, _d: finish(f"Indexing failed: {msg}"))

    def accept(self) -> None:
        try:
            rate = tc.frame_rate(self.frame_rate.currentData())
            start = tc.frames_to_timecode(tc.timecode_to_frames(self.program_start.text(), rate), rate)
        except tc.TimecodeError as exc:
            self.tabs.setCurrentIndex(3)
            self.error.setText(f"Program start timecode: {exc}")
            return
        try:
            edit_rules = self.edit_rules.rules()
        except RulesError as exc:
            self.tabs.setCurrentWidget(self.edit_rules)
            self.error.setText(str(exc))
            return
        s = self.settings
        try:
            self.team_catalogue.apply(s)
        except CatalogueError as exc:  # a URL with a password, or not postgresql://
            self.tabs.setCurrentWidget(self.team_catalogue)
            self.error.setText(str(exc))
            return
        s.edit_rules = edit_rules.to_dict()
        s.default_engine = self.engine.currentData()
        s.jobs_at_once = self.jobs.value()
        s.prepared_by = self.prepared_by.text().strip()
        s.prepared_by_email = self.prepared_email.text().strip()
        s.audioshake_base_url = self.base_url.text().strip() or s.audioshake_base_url
        s.library_sources = self.folder_list()
        s.default_frame_rate = rate.name
        s.default_program_start = start
        s.rounding = self.rounding.currentData()
        s.time_display = self.time_display.currentData()
        s.merge_gap_s = float(self.merge_gap.value())
        s.min_cue_length_s = float(self.min_len.value())
        s.short_cue_action = "drop" if self.short_action.isChecked() else "flag"
        s.detection_sensitivity = self.sensitivity.value() / 100.0
        key = self.api_key.text().strip()
        if key != self._stored_key:
            try:
                secrets.set_api_key(key or None)
            except Exception as exc:  # noqa: BLE001 - no keyring backend: say so, keep the dialog open
                self.tabs.setCurrentIndex(1)
                self.error.setText(secrets.redact(
                    f"Cannot store the API key in the system keyring ({type(exc).__name__}). Set the "
                    f"AUDIOSHAKE_API_KEY environment variable instead.", key))
                return
        try:
            save_settings(s)
        except OSError as exc:
            self.error.setText(str(exc))
            return
        self.runner.cancel_all()
        super().accept()

    def reject(self) -> None:
        self.runner.cancel_all()
        super().reject()
