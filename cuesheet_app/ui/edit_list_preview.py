"""The edit-list preview: every track and clip, included or excluded, with the rule that decided.

Nothing changes until Apply. The two rules a user most often needs to flip for one import
(music-only, bridge gaps of N frames) sit above the list and re-run the decision at once; the
rest of the rules (words, catalogue-code patterns) are settings (``edit_rules``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.edit_merge import EditRangeError
from cuesheet_app.domain.music_rules import MusicRules
from cuesheet_app.editlists.errors import EditListError
from cuesheet_app.services.edit_import import ImportPlan

COLUMNS = ("Track / clip", "In", "Out", "Cue", "Rule")
CUE_COLUMNS = ("Cue the edit makes", "In", "Out", "Duration", "Source")
INCLUDED, EXCLUDED = "Included", "Excluded"


class EditListPreview(QDialog):
    """``plan`` is what Apply puts in the project; ``replan`` re-reads it for changed rules."""

    def __init__(self, plan: ImportPlan, replan: Callable[[MusicRules], ImportPlan],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editListPreview")
        self.setWindowTitle("Import edit list")
        self.plan = plan
        self._replan = replan
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("editListSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.notes = QLabel(self)
        self.notes.setObjectName("editListNotes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #9a6700;")
        layout.addWidget(self.notes)
        rules_row = QHBoxLayout()
        self.music_only = QCheckBox("&Music-only edit list (every clip is a cue except DX, FX, VO…)", self)
        self.music_only.setObjectName("musicOnly")
        self.music_only.setChecked(plan.edit.music_only if plan.rules.music_only is None else plan.rules.music_only)
        rules_row.addWidget(self.music_only)
        rules_row.addStretch(1)
        gap_label = QLabel("&Bridge gaps up to", self)
        self.gap = QSpinBox(self)
        self.gap.setObjectName("bridgeGap")
        self.gap.setRange(0, 10 * 60 * 60)
        self.gap.setSuffix(" frames")
        self.gap.setValue(plan.rules.bridge_gap_frames)
        gap_label.setBuddy(self.gap)
        rules_row.addWidget(gap_label)
        rules_row.addWidget(self.gap)
        layout.addLayout(rules_row)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("editListTree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.cue_list = QTreeWidget(self)
        self.cue_list.setObjectName("editListCues")
        self.cue_list.setColumnCount(len(CUE_COLUMNS))
        self.cue_list.setHeaderLabels(list(CUE_COLUMNS))
        self.cue_list.setRootIsDecorated(False)
        self.cue_list.setUniformRowHeights(True)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.cue_list)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        self.error = QLabel(self)
        self.error.setObjectName("editListError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(self)
        self.apply_button = self.buttons.addButton("&Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setObjectName("applyEditList")
        self.apply_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.music_only.toggled.connect(lambda _on: self._rules_changed())
        self.gap.valueChanged.connect(lambda _v: self._rules_changed())
        self.resize(900, 560)
        self._fill()

    def rules(self) -> MusicRules:
        rules = MusicRules.from_dict(self.plan.rules.to_dict())
        rules.music_only = self.music_only.isChecked()
        rules.bridge_gap_frames = self.gap.value()
        return rules

    def _rules_changed(self) -> None:
        try:
            self.plan = self._replan(self.rules())
        except (EditListError, EditRangeError) as exc:
            self.error.setText(str(exc))
            self.error.show()
            self.apply_button.setEnabled(False)
            return
        self.error.hide()
        self.apply_button.setEnabled(True)
        self._fill()

    def _fill(self) -> None:
        plan = self.plan
        cues = len(plan.cues)
        self.summary.setText(f"<b>{plan.edit.title or plan.edit.source}</b> — {plan.summary()}. "
                             f"Apply makes {cues} cue{'s' if cues != 1 else ''} (one undo step).")
        self.notes.setText("\n".join(plan.notes))
        self.notes.setVisible(bool(plan.notes))
        self.tree.clear()
        by_track: dict[str, list] = {}
        for d in plan.decisions:
            by_track.setdefault(d.clip.track, []).append(d)
        rate = plan.edit.rate
        grey = QBrush(QColor("#777777"))
        for track in plan.edit.audio_tracks():
            decisions = by_track.get(track.name, [])
            music = sum(1 for d in decisions if d.music)
            top = QTreeWidgetItem([track.name + ("" if track.named else " (unnamed)"), "", "",
                                   f"{music} of {len(decisions)}", "muted track" if track.muted else ""])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            for d in decisions:
                c = d.clip
                item = QTreeWidgetItem([c.name or c.reel or "(no name)", tc.frames_to_timecode(c.record_in, rate),
                                        tc.frames_to_timecode(c.record_out, rate),
                                        INCLUDED if d.music else EXCLUDED, d.rule])
                item.setToolTip(4, d.rule)
                if c.source_file:
                    item.setToolTip(0, c.source_file)
                if not d.music:
                    for col in range(len(COLUMNS)):
                        item.setForeground(col, grey)
                top.addChild(item)
            top.setExpanded(True)
        self._fill_cues()
        for col in range(len(COLUMNS) - 1):
            self.tree.resizeColumnToContents(col)
        self.tree.header().setStretchLastSection(True)
        self.apply_button.setEnabled(True)
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    def _fill_cues(self) -> None:
        plan = self.plan
        first = plan.mapping.media_first_frame
        if plan.edit.rate != plan.rate:
            first = tc.convert_frames(first, plan.edit.rate, plan.rate)
        self.cue_list.clear()
        for ec in plan.cues:
            r = ec.resolution
            source = r.how if r is not None else "clip name: rights needed"
            item = QTreeWidgetItem([ec.title, tc.frames_to_timecode(first + ec.start, plan.rate),
                                    tc.frames_to_timecode(first + ec.end, plan.rate),
                                    tc.frames_to_timecode(ec.end - ec.start, plan.rate), source])
            self.cue_list.addTopLevelItem(item)
        for col in range(len(CUE_COLUMNS) - 1):
            self.cue_list.resizeColumnToContents(col)

    def rows(self) -> list[tuple[str, str, str]]:
        """(clip, Included/Excluded, rule) as shown, for tests and screenshots."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                ch = top.child(j)
                out.append((ch.text(0), ch.text(3), ch.text(4)))
        return out
