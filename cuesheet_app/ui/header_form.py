"""The production header form: every ``ProductionHeader`` field, edited through the undo stack.

A field is committed when the user finishes editing it (Enter, focus out, a
combo choice), so typing a title is one undo step, not one per keystroke.
Changing the frame rate converts every cue time to the new rate in the same
undo step, since cue times are frame counts and would otherwise shift. Edits
are the timeline's domain edits (``HeaderEditCommand``), so undo is shared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.edits import Compound, Edit, SetFields, SetHeader
from cuesheet_app.domain.model import ProductionHeader
from cuesheet_app.domain.vocab import CATEGORIES, CLASSIFICATIONS, VERSIONS
from cuesheet_app.ui.commands import HeaderEditCommand
from cuesheet_app.ui.document import ProjectDocument

_LIST_SEP = ";"


def rate_change_edit(document: ProjectDocument, new_rate: str) -> Compound:
    """The frame rate and every cue time (frames) converted to it: one undo step."""
    sheet = document.sheet
    src, dst = sheet.header.rate, tc.frame_rate(new_rate)
    parts: list[Edit] = [SetHeader({"frame_rate": dst.name,
                                    "program_duration": tc.convert_frames(sheet.header.program_duration, src, dst)},
                                   f"Frame rate {dst.name}")]
    for c in sheet.cues:
        parts.append(SetFields(c.id, {"start": tc.convert_frames(c.start, src, dst),
                                      "end": tc.convert_frames(c.end, src, dst)}, "Convert cue times"))
    return Compound(parts, f"Frame rate {src.name} to {dst.name}")


def _label(name: str) -> str:
    return _LABELS.get(name, name.replace("_", " ")).rstrip(":").lower()


_LABELS = {
    "program_title": "Program title",
    "program_akas": "Program AKAs",
    "episode_title": "Episode title",
    "episode_akas": "Episode AKAs",
    "episode_number": "Episode number",
    "production_number": "Production number",
    "production_company": "Production company",
    "company_contact": "Company address / contact",
    "network": "Network / broadcaster",
    "initial_air_date": "Initial air date",
    "date_prepared": "Date prepared",
    "prepared_by": "Prepared by",
    "prepared_by_email": "Prepared by email",
    "category": "Category",
    "version": "Version",
    "classification": "Classification",
    "revision_number": "Revision number",
    "country_of_origin": "Country of origin",
    "program_duration": "Program duration",
    "frame_rate": "Frame rate",
    "program_start": "Program start",
    "notes": "Notes",
}


def _show_start(edit: QLineEdit, text: str) -> None:
    """Set text so that its start shows: a long address must read "Harbour Road…", not "…UK".

    ``setText`` leaves the cursor, and so the view, at the end; the field being typed in keeps it.
    """
    edit.setText(text)
    if not edit.hasFocus():
        edit.setCursorPosition(0)


def _narrow(combo: QComboBox) -> QComboBox:
    """A combo that can shrink with the dock (its longest item would otherwise set the form's width)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(6)
    return combo


class HeaderForm(QWidget):
    """Dock contents: one editor per header field, kept in sync with the document."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None,
                 on_error: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.on_error = on_error or (lambda _msg: None)
        self.editors: dict[str, QWidget] = {}
        inner = QWidget(self)
        form = QFormLayout(inner)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # A narrow dock puts a label above its field instead of pushing the field off the edge.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        # Labels wrap at a modest width ("Company address / contact:" takes two lines), so the
        # fields, not the labels, get the dock's width.
        label_width = self.fontMetrics().horizontalAdvance("Production company:") + 6
        for name in _LABELS:
            editor = self._make_editor(name)
            editor.setObjectName(f"header.{name}")
            self.editors[name] = editor
            label = QLabel(_LABELS[name] + ":", inner)
            label.setWordWrap(True)
            label.setFixedWidth(label_width)
            label.setBuddy(editor)
            form.addRow(label, editor)
        self.problem = QLabel(inner)
        self.problem.setObjectName("headerProblem")
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.setWordWrap(True)
        form.addRow(self.problem)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # fields shrink instead
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        document.headerChanged.connect(self.refresh)
        document.sheetReplaced.connect(self.refresh)
        self.refresh()

    def set_document(self, document: ProjectDocument) -> None:
        self.document.headerChanged.disconnect(self.refresh)
        self.document.sheetReplaced.disconnect(self.refresh)
        self.document = document
        document.headerChanged.connect(self.refresh)
        document.sheetReplaced.connect(self.refresh)
        self.refresh()

    # --- editors ---------------------------------------------------------------------------
    def _make_editor(self, name: str) -> QWidget:
        if name in ("category", "version", "classification"):
            choices = {"category": CATEGORIES, "version": VERSIONS, "classification": CLASSIFICATIONS}[name]
            combo = _narrow(QComboBox(self))
            combo.addItems(list(choices))
            combo.setEditable(name != "classification")
            if combo.isEditable():
                combo.lineEdit().editingFinished.connect(lambda n=name, c=combo: self._commit(n, c.currentText()))
            combo.activated.connect(lambda _i, n=name, c=combo: self._commit(n, c.currentText()))
            return combo
        if name == "frame_rate":
            combo = _narrow(QComboBox(self))
            for rate in tc.RATES.values():
                combo.addItem(rate.name + (" drop-frame" if rate.drop_frame else ""), rate.name)
            combo.activated.connect(lambda _i, c=combo: self._commit("frame_rate", c.currentData()))
            return combo
        if name == "revision_number":
            spin = QSpinBox(self)
            spin.setRange(0, 999)
            spin.editingFinished.connect(lambda s=spin: self._commit("revision_number", s.value()))
            return spin
        if name in ("initial_air_date", "date_prepared"):
            edit = QLineEdit(self)
            edit.setPlaceholderText("YYYY-MM-DD")
            edit.editingFinished.connect(lambda n=name, e=edit: self._commit(n, e.text()))
            return edit
        if name == "notes":
            text = QPlainTextEdit(self)
            text.setFixedHeight(100)  # room for a few lines of notes without scrolling
            text.installEventFilter(self)
            return text
        edit = QLineEdit(self)
        if name in ("program_akas", "episode_akas"):
            edit.setPlaceholderText("separate with ;")
        if name == "program_duration":
            edit.setPlaceholderText("HH:MM:SS:FF")
        if name == "program_start":
            edit.setPlaceholderText("01:00:00:00")
        edit.editingFinished.connect(lambda n=name, e=edit: self._commit(n, e.text()))
        return edit

    def eventFilter(self, obj, event) -> bool:  # type: ignore[no-untyped-def]
        if obj is self.editors.get("notes") and event.type() == QEvent.Type.FocusOut:
            self._commit("notes", obj.toPlainText())
        return super().eventFilter(obj, event)

    # --- document -> editors ---------------------------------------------------------------
    def refresh(self) -> None:
        h = self.document.sheet.header
        for name, editor in self.editors.items():
            blocker = QSignalBlocker(editor)
            text = self._display(h, name)
            if isinstance(editor, QComboBox):
                i = editor.findData(text) if name == "frame_rate" else editor.findText(text)
                if i >= 0:
                    editor.setCurrentIndex(i)
                elif editor.isEditable():
                    editor.setEditText(text)
                if editor.isEditable() and not editor.hasFocus():
                    editor.lineEdit().setCursorPosition(0)
            elif isinstance(editor, QSpinBox):
                editor.setValue(int(h.revision_number))
            elif isinstance(editor, QPlainTextEdit):
                if editor.toPlainText() != text:
                    editor.setPlainText(text)
            elif isinstance(editor, QLineEdit):
                _show_start(editor, text)
            del blocker
        self.problem.clear()

    def _display(self, h: ProductionHeader, name: str) -> str:
        value = getattr(h, name)
        if name in ("program_akas", "episode_akas"):
            return f"{_LIST_SEP} ".join(value)
        if name == "program_duration":
            return _duration_text(int(value), h.rate) if value else ""
        return str(value)

    # --- editors -> document ---------------------------------------------------------------
    def _commit(self, name: str, text: Any) -> None:
        h = self.document.sheet.header
        try:
            value = self._parse(h, name, text)
        except ValueError as exc:
            self.problem.setText(f"{_LABELS[name]}: {exc}")
            self.on_error(f"{_LABELS[name]}: {exc}")
            self.refresh_field(name)
            return
        self.problem.clear()
        if value == getattr(h, name):
            return
        if self.document.refuse_if_locked():
            self.refresh_field(name)
            return
        if name == "frame_rate":
            self.document.push_edit(rate_change_edit(self.document, value))
        else:
            self.document.undo_stack.push(HeaderEditCommand(self.document, **{name: value}))

    def refresh_field(self, name: str) -> None:
        editor = self.editors[name]
        if isinstance(editor, QLineEdit):
            with QSignalBlocker(editor):
                _show_start(editor, self._display(self.document.sheet.header, name))

    @staticmethod
    def _parse(h: ProductionHeader, name: str, text: Any) -> Any:
        if name == "revision_number":
            return int(text)
        if name == "frame_rate":
            return tc.frame_rate(str(text)).name
        text = str(text)
        if name in ("program_akas", "episode_akas"):
            return [p.strip() for p in text.split(_LIST_SEP) if p.strip()]
        if name in ("initial_air_date", "date_prepared"):
            text = text.strip()
            if text:
                try:
                    dt.date.fromisoformat(text)
                except ValueError:
                    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
            return text
        if name == "program_start":
            frames = tc.timecode_to_frames(text, h.rate)  # TimecodeError is a ValueError
            return tc.frames_to_timecode(frames, h.rate)
        if name == "program_duration":
            text = text.strip()
            if not text:
                return 0
            if text.count(":") + text.count(";") == 3:
                return _duration_frames(text, h.rate)
            return tc.seconds_to_frames(tc.parse_duration(text), h.rate)
        return text if name == "notes" else text.strip()


def _duration_frames(text: str, rate: tc.FrameRate) -> int:
    """HH:MM:SS:FF as a length (frame counting, no drop-frame numbering)."""
    parts = text.replace(";", ":").split(":")
    try:
        hh, mm, ss, ff = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"{text!r} is not a duration (HH:MM:SS:FF)") from None
    if mm >= 60 or ss >= 60 or ff >= rate.nominal or min(hh, mm, ss, ff) < 0:
        raise ValueError(f"{text!r} is not a duration at {rate.name} fps")
    seconds = hh * 3600 + mm * 60 + ss
    return tc.seconds_to_frames(seconds, rate) + ff


def _duration_text(frames: int, rate: tc.FrameRate) -> str:
    """A length as HH:MM:SS:FF: whole seconds of real time plus the frames left over."""
    whole = int(tc.frames_to_seconds(frames, rate))
    ff = frames - tc.seconds_to_frames(whole, rate)
    return f"{whole // 3600:02d}:{(whole // 60) % 60:02d}:{whole % 60:02d}:{ff:02d}"
