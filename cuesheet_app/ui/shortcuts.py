"""Every keyboard shortcut of the app, as data: one list, shown in the menus and in docs/editing.md.

Actions are built from this table (``make_action``) so a key is defined once; the
workspace adds its File/Transport entries here too. ``scope`` tells where a key
works: "window" anywhere in the main window, "editor" while the focus is in the
editor area (single-letter keys must not fire while typing in the header form),
"timeline" only while the timeline has the focus (arrow keys keep moving through
table cells).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence


@dataclass(frozen=True)
class Shortcut:
    action_id: str
    # QKeySequence portable text, first one is shown in menus; "Standard:SaveAs|Ctrl+Shift+S" is
    # the platform's standard key (QKeySequence.StandardKey.SaveAs), the text after | where it has none.
    keys: tuple[str, ...]
    label: str
    menu: str  # "File", "Edit", "Cue", "View", "Transport", ...
    scope: str = "window"  # "window", "editor" (editor area has focus) or "timeline" (timeline has focus)
    tip: str = ""


SHORTCUTS: list[Shortcut] = [
    # Edit
    Shortcut("edit.undo", ("Ctrl+Z",), "&Undo", "Edit"),
    Shortcut("edit.redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "&Redo", "Edit"),
    Shortcut("edit.find_replace", ("Ctrl+H",), "Find and &Replace…", "Edit"),
    Shortcut("edit.undo_history", ("Ctrl+Alt+Z",), "Undo &History", "Edit"),
    Shortcut("edit.select_all", ("Ctrl+A",), "Select &All Cues", "Edit", "editor"),
    # Cue
    Shortcut("cue.add", ("Ctrl+Shift+N",), "&Add Cue at Playhead", "Cue", "editor",
             "New cue from the playhead, 10 seconds long"),
    Shortcut("cue.split", ("S",), "&Split at Playhead", "Cue", "editor"),
    Shortcut("cue.merge", ("M",), "&Merge Selected", "Cue", "editor"),
    Shortcut("cue.deactivate", ("Del",), "&Deactivate (again: Remove)", "Cue", "editor",
             "Inactive cues stay in the project, struck through, and are left out of exports"),
    Shortcut("cue.remove", ("Shift+Del",), "&Remove", "Cue", "editor"),
    Shortcut("cue.set_in", ("I",), "Set &In from Playhead", "Cue", "editor"),
    Shortcut("cue.set_out", ("O",), "Set &Out from Playhead", "Cue", "editor"),
    Shortcut("cue.nudge_left", (",",), "Nudge Edge Left 1 Frame", "Cue", "editor"),
    Shortcut("cue.nudge_right", (".",), "Nudge Edge Right 1 Frame", "Cue", "editor"),
    Shortcut("cue.nudge_left_big", ("Shift+,", "<", "Shift+<"), "Nudge Edge Left 1 Second", "Cue", "editor"),
    Shortcut("cue.nudge_right_big", ("Shift+.", ">", "Shift+>"), "Nudge Edge Right 1 Second", "Cue", "editor"),
    Shortcut("cue.previous", ("Left",), "Select &Previous Cue", "Cue", "timeline"),
    Shortcut("cue.next", ("Right",), "Select &Next Cue", "Cue", "timeline"),
    Shortcut("cue.edit", ("Return", "Enter"), "&Edit Cue", "Cue", "timeline"),
    Shortcut("cue.play", ("P",), "&Play Cue (with pre/post-roll)", "Cue", "editor"),
    Shortcut("cue.parties", ("Ctrl+Shift+P",), "Edit &Parties…", "Cue", "editor"),
    # View
    Shortcut("view.zoom_in", ("Ctrl+=", "Ctrl++"), "Zoom &In", "View", "editor"),
    Shortcut("view.zoom_out", ("Ctrl+-",), "Zoom &Out", "View", "editor"),
    Shortcut("view.zoom_fit", ("Ctrl+0",), "Zoom to &Fit", "View", "editor"),
    Shortcut("view.snapping", ("N",), "S&napping", "View", "editor",
             "Snap to cue edges, the playhead and engine events (hold Shift to invert)"),
]

_BY_ID = {s.action_id: s for s in SHORTCUTS}


def shortcut(action_id: str) -> Shortcut:
    """The entry for an action id (KeyError names the id when it is not in the table)."""
    try:
        return _BY_ID[action_id]
    except KeyError:
        raise KeyError(f"no shortcut entry {action_id!r} in ui/shortcuts.py") from None


def register(entry: Shortcut) -> None:
    """Add an entry at import time of another module (e.g. the workspace's transport keys)."""
    if entry.action_id in _BY_ID:
        raise ValueError(f"shortcut {entry.action_id!r} is defined twice")
    SHORTCUTS.append(entry)
    _BY_ID[entry.action_id] = entry


def resolve(key: str) -> list[str]:
    """A key of the table as portable texts (a standard key may have several, or none: the fallback).

    Standard keys are looked up when asked (the platform's theme is only known with an app running).
    """
    if not key.startswith("Standard:"):
        return [key]
    name, _, fallback = key.removeprefix("Standard:").partition("|")
    bindings = QKeySequence.keyBindings(getattr(QKeySequence.StandardKey, name))
    texts = [b.toString(QKeySequence.SequenceFormat.PortableText) for b in bindings]
    return [t for t in texts if t] or ([fallback] if fallback else [])


def keys_of(action_id: str) -> list[str]:
    """Every key of an action, standard keys resolved for this platform."""
    return [k for key in shortcut(action_id).keys for k in resolve(key)]


def make_action(action_id: str, parent: QObject, slot: Callable[[], object] | None = None,
                checkable: bool = False) -> QAction:
    """A QAction labelled and keyed from the table; its object name is the action id."""
    entry = shortcut(action_id)
    action = QAction(entry.label, parent)
    action.setObjectName(action_id)
    action.setShortcuts([QKeySequence(k) for k in keys_of(action_id)])
    if entry.scope == "editor":
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    elif entry.scope == "timeline":
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    if entry.tip:
        action.setToolTip(entry.tip)
        action.setStatusTip(entry.tip)
    action.setCheckable(checkable)
    if slot is not None:
        action.triggered.connect(lambda _checked=False: slot())
    return action


def matches(action_id: str, key_combination: QKeySequence) -> bool:
    """Whether a pressed key (as a one-key QKeySequence) is one of the action's keys."""
    return any(QKeySequence(k).matches(key_combination) == QKeySequence.SequenceMatch.ExactMatch
               for k in keys_of(action_id))


def key_text(keys: tuple[str, ...] | list[str], native: bool = True) -> str:
    """Keys as people read them: "Shift+, or <" (not "Shift+,, <, Shift+<"), each key once.

    ``native`` writes them the platform's way (⌘ on macOS); alternatives that read the same
    there (e.g. "<" and "Shift+<" on most layouts) are shown once.
    """
    fmt = QKeySequence.SequenceFormat.NativeText if native else QKeySequence.SequenceFormat.PortableText
    shown: list[str] = []
    for k in keys:
        bare = k.removeprefix("Shift+")
        if bare != k and len(bare) == 1 and not bare.isalnum() and bare in keys:
            continue  # "Shift+<" is how some layouts send "<": one key for the reader

        text = QKeySequence(k).toString(fmt) or k
        if text not in shown:
            shown.append(text)
    return " or ".join(shown)


def table_rows(native: bool = True) -> list[tuple[str, str, str]]:
    """(menu, label, keys) rows for help screens and docs."""
    return [(s.menu, s.label.replace("&", ""), key_text(keys_of(s.action_id), native)) for s in SHORTCUTS]
