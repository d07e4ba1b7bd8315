"""A shown main window with the demo project open, for tests that press real keys.

The demo (synthesized library, local engine) is built once per test module; each test opens
a fresh copy of its project. Keys go to ``QApplication.focusWidget()`` of the active
window through ``QTest.keyClick``, so Qt's shortcut map decides what fires, as for a user.
Every Qt message is recorded: an "Ambiguous shortcut" (two actions on one key, neither
fires) fails the test that caused it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from cuesheet_app.services.demo import build_demo
from cuesheet_app.settings.store import Settings
from cuesheet_app.ui import main_window as mw


class QtMessages:
    """Collects Qt's own warnings (installed as the Qt message handler, chained to the previous one)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self._previous = None

    def __call__(self, kind: QtMsgType, context, message: str) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(message)
        if self._previous is not None:
            self._previous(kind, context, message)

    def install(self) -> None:
        self._previous = qInstallMessageHandler(self)

    def uninstall(self) -> None:
        qInstallMessageHandler(self._previous)

    def ambiguous(self) -> list[str]:
        return [m for m in self.messages if "mbiguous shortcut" in m]


@pytest.fixture
def qt_messages() -> Iterator[QtMessages]:
    messages = QtMessages()
    messages.install()
    yield messages
    messages.uninstall()
    assert messages.ambiguous() == [], "Qt found ambiguous shortcuts: " + "; ".join(messages.ambiguous())


def build_demo_project(folder: Path) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CUESHEET_HOME", str(folder / "home"))
        return build_demo(Settings(), folder=folder / "demo").project_path


def open_copy(qtbot, window: mw.MainWindow, project: Path, target_dir: Path) -> Path:  # type: ignore[no-untyped-def]
    """Open a fresh copy of ``project`` (its media stays where the demo put it)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    copy = target_dir / project.name
    shutil.copyfile(project, copy)
    window.document.undo_stack.setClean()
    assert window.open_project(copy)
    qtbot.waitUntil(window.is_idle, timeout=20000)
    return copy


def show_window(qtbot, window: mw.MainWindow, owned: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Show and activate; ``owned``: closed by qtbot after the test (not for a module's shared window)."""
    if owned:
        qtbot.addWidget(window)
    window.show()
    window.raise_()
    window.activateWindow()
    QTest.qWaitForWindowExposed(window)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def focus(qtbot, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    def has_focus() -> bool:
        if QApplication.focusWidget() is not widget:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return QApplication.focusWidget() is widget

    try:
        qtbot.waitUntil(has_focus, timeout=3000)
    except Exception as exc:
        raise AssertionError(f"cannot focus {widget.objectName() or type(widget).__name__}: visible "
                             f"{widget.isVisible()}, enabled {widget.isEnabled()}, focus is on "
                             f"{QApplication.focusWidget()}, active window {QApplication.activeWindow()}") from exc


def press(keys: str, widget: QWidget | None = None) -> None:
    """One key chord given as QKeySequence text ("Ctrl+Shift+Z", "<"), to the focused widget."""
    combo = QKeySequence(keys)[0]
    target = widget or QApplication.focusWidget() or QApplication.activeWindow()
    assert target is not None, "nothing has the keyboard focus"
    QTest.keyClick(target, combo.key(), combo.keyboardModifiers())
    QApplication.processEvents()
