"""Undo commands: any run of pushed edits (merged or not) undoes back to the original sheet."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuesheet_app.ui.document import ProjectDocument
from tests.test_edits import make_sheet, operations


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.data())
def test_undo_all_then_redo_all_is_exact(qapp, data: st.DataObject) -> None:
    doc = ProjectDocument(make_sheet(data.draw(st.integers(1, 4))))
    original = doc.sheet.to_dict()
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(operations(doc.sheet))
        if op is not None:
            doc.push_edit(op, data.draw(st.sampled_from([None, "drag-1", "drag-2"])))
    final = doc.sheet.to_dict()
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.sheet.to_dict() == original and not doc.modified
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert doc.sheet.to_dict() == final
