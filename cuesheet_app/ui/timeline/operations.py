"""What the cue keys do (split, merge, delete, in/out, nudge, select next, play), shared by
the timeline's key handling and the editor area's menu actions so each key has one meaning.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from cuesheet_app.domain import edits
from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import Cue
from cuesheet_app.ui.document import ProjectDocument

NEW_CUE_SECONDS = 10


class CueOperations(QObject):
    """Cue edits addressed by selection and playhead; failures are reported, never raised.

    ``active_edge`` is the cue edge ("start"/"end") the user last grabbed in the
    timeline; nudges move that edge, or the whole selection when it is None.
    """

    message = Signal(str)  # a one-line reason when an operation cannot be done
    editRequested = Signal(str)  # cue id to edit (the table opens its title cell)
    playRangeRequested = Signal(float, float)

    def __init__(self, document: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.playhead_s: float = 0.0
        self.preroll_s: float = 2.0
        self.postroll_s: float = 1.0
        self.active_edge: str | None = None
        self._nudge_serial = 0

    # --- helpers ----------------------------------------------------------
    @property
    def playhead_frame(self) -> int:
        return self.doc.sheet.frames(tc.to_fraction(self.playhead_s))

    def selected(self) -> list[Cue]:
        by_id = {c.id: c for c in self.doc.sheet.cues}
        out = [by_id[i] for i in self.doc.selection if i in by_id]
        return sorted(out, key=lambda c: (c.start, c.end, c.id))

    def push(self, make: object, merge_key: str | None = None) -> bool:
        """Build an edit (``make`` may be a callable) and push it; False with a message when refused."""
        try:
            op = make() if callable(make) else make
            self.doc.push_edit(op, merge_key)  # type: ignore[arg-type]
        except edits.EditError as exc:
            self.message.emit(str(exc))
            return False
        return True

    def _cue_at_playhead(self) -> Cue | None:
        frame = self.playhead_frame
        chosen = [c for c in self.selected() if c.start < frame < c.end]
        if chosen:
            return chosen[0]
        under = [c for c in self.doc.sheet.cues if c.start < frame < c.end]
        under.sort(key=lambda c: (not c.active, c.start))
        return under[0] if under else None

    # --- operations -------------------------------------------------------
    def split_at_playhead(self) -> None:
        cue = self._cue_at_playhead()
        if cue is None:
            self.message.emit("No cue under the playhead to split")
            return
        new_id = edits.new_id()
        if self.push(lambda: edits.split_cue(self.doc.sheet, cue.id, self.playhead_frame, new_id)):
            self.doc.set_selection([new_id])

    def merge_selected(self) -> None:
        ids = [c.id for c in self.selected()]
        if self.push(lambda: edits.merge_cues(self.doc.sheet, ids)):
            self.doc.set_selection(ids[:1])

    def delete_selected(self) -> None:
        """First Delete deactivates; Delete on cues that are already inactive removes them."""
        cues = self.selected()
        if not cues:
            self.message.emit("Select a cue to delete")
            return
        if all(not c.active for c in cues):
            self.remove_selected()
            return
        self.push(lambda: edits.set_active(self.doc.sheet, [c.id for c in cues if c.active], False))

    def remove_selected(self) -> None:
        cues = self.selected()
        if cues:
            self.push(lambda: edits.remove_cues(self.doc.sheet, [c.id for c in cues]))

    def set_in_from_playhead(self) -> None:
        self._set_edge("start")

    def set_out_from_playhead(self) -> None:
        self._set_edge("end")

    def _set_edge(self, edge: str) -> None:
        cues = self.selected()
        if not cues:
            self.message.emit("Select a cue first")
            return
        frame = self.playhead_frame
        self.push(lambda: edits.trim(self.doc.sheet, cues[0].id, **{edge: frame}))

    def nudge(self, direction: int, big: bool = False) -> None:
        """Move the active edge (or the selection) by one frame, or one second with ``big``."""
        cues = self.selected()
        if not cues:
            return
        step = self.doc.sheet.rate.nominal if big else 1
        delta = direction * step
        key = f"nudge:{','.join(c.id for c in cues)}:{self.active_edge}:{self._nudge_serial}"
        if self.active_edge in ("start", "end") and len(cues) == 1:
            cue = cues[0]
            value = getattr(cue, self.active_edge) + delta
            self.push(lambda: edits.trim(self.doc.sheet, cue.id, **{self.active_edge: value}), key)
        else:
            self.push(lambda: edits.move(self.doc.sheet, [c.id for c in cues], delta), key)

    def end_nudge_run(self) -> None:
        """The next nudge starts a new undo step (called when the selection or edge changes)."""
        self._nudge_serial += 1

    def select_adjacent(self, step: int) -> None:
        cues = self.doc.sheet.cues
        if not cues:
            return
        current = self.selected()
        if not current:
            index = 0 if step > 0 else len(cues) - 1
        else:
            anchor = current[-1] if step > 0 else current[0]
            index = max(0, min(len(cues) - 1, self.doc.sheet.index_of(anchor.id) + step))
        self.active_edge = None
        self.end_nudge_run()
        self.doc.set_selection([cues[index].id])

    def edit_selected(self) -> None:
        cues = self.selected()
        if cues:
            self.editRequested.emit(cues[0].id)

    def play_selected(self) -> None:
        cues = self.selected()
        if not cues:
            self.message.emit("Select a cue to play")
            return
        sheet = self.doc.sheet
        start = float(sheet.seconds(cues[0].start)) - self.preroll_s
        end = float(sheet.seconds(cues[-1].end)) + self.postroll_s
        self.playRangeRequested.emit(max(0.0, start), end)

    def add_at_playhead(self) -> None:
        frame = self.playhead_frame
        length = self.doc.sheet.rate.nominal * NEW_CUE_SECONDS
        self.add_cue(frame, frame + length)

    def add_cue(self, start: int, end: int) -> str | None:
        cue = edits.new_manual_cue(start, end)
        cue.title = f"New cue {len(self.doc.sheet.cues) + 1}"
        if self.push(lambda: edits.add_cue(self.doc.sheet, cue)):
            self.doc.set_selection([cue.id])
            return cue.id
        return None

    def select_all(self) -> None:
        self.doc.set_selection([c.id for c in self.doc.sheet.cues])
