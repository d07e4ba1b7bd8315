"""Undo commands: thin QUndoCommand wrappers around the domain edits of ``domain/edits.py``.

A command applies its edit on ``redo`` and keeps the inverse the edit returned;
``undo`` applies that inverse (and keeps *its* inverse for the next redo), so
undo is exact. Commands with the same non-empty merge key that follow each
other merge into one step: the timeline gives each drag its own key, nudges of
one cue edge share a key, and typing in one header field shares a key.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand, QUndoStack

from cuesheet_app.domain import edits
from cuesheet_app.domain.edits import Compound, Edit, Effect
from cuesheet_app.domain.model import CueSheet


class UndoableDocument(Protocol):
    """What a command needs of ``ui/document.ProjectDocument`` (which imports this module)."""

    sheet: CueSheet
    undo_stack: QUndoStack

    def notify(self, effect: Effect) -> None: ...

_MERGEABLE_ID = 0x6375  # any fixed id: QUndoStack only tries mergeWith on equal ids


class EditCommand(QUndoCommand):
    """One domain edit (or a run of merged ones) as an undo step."""

    def __init__(self, document: UndoableDocument, op: Edit, merge_key: str | None = None,
                 text: str | None = None) -> None:
        super().__init__(text or op.description)
        self._doc = document
        self._forward: Edit | None = op
        self._inverse: Edit | None = None
        self.merge_key = merge_key

    def redo(self) -> None:
        assert self._forward is not None
        effect = Effect()
        self._inverse = self._forward.apply(self._doc.sheet, effect)
        self._forward = None
        if not (effect.cue_fields or effect.structure or effect.header):
            self.setObsolete(True)  # nothing changed: QUndoStack drops the step
        self._doc.notify(effect)

    def undo(self) -> None:
        assert self._inverse is not None
        effect = Effect()
        self._forward = self._inverse.apply(self._doc.sheet, effect)
        self._inverse = None
        self._doc.notify(effect)

    def id(self) -> int:
        return _MERGEABLE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or not self.merge_key or other.merge_key != self.merge_key:
            return False
        # Both are applied: undoing the pair means other's inverse first, then ours.
        assert self._inverse is not None and other._inverse is not None
        mine = self._inverse.parts if isinstance(self._inverse, Compound) and self._inverse.description == "_merged" \
            else [self._inverse]
        self._inverse = Compound([other._inverse, *mine], "_merged")
        return True


class HeaderEditCommand(EditCommand):
    """Production header fields, for the workspace's header form.

    ``HeaderEditCommand(document, program_title="X")``; typing in one field is one
    step (consecutive edits of the same fields merge).
    """

    def __init__(self, document: UndoableDocument, **values: Any) -> None:
        op = edits.set_header(document.sheet, **values)
        super().__init__(document, op, merge_key="header:" + ",".join(sorted(values)))


def push(document: UndoableDocument, op: Edit, merge_key: str | None = None) -> None:
    """Push an edit as one undo step (same as ``document.push_edit``, lock included)."""
    refuse = getattr(document, "refuse_if_locked", None)
    if refuse is not None and refuse():
        return
    document.undo_stack.push(EditCommand(document, op, merge_key))
