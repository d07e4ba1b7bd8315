"""The catalogue window on a team server, by clicks and key presses: conflicts, history, live, offline."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QPushButton

from cuesheet_app.domain.model import Party
from cuesheet_app.rights.catalogue import Catalogue
from cuesheet_app.rights.records import Recording, Work
from cuesheet_app.ui.catalogue_team import ConflictDialog
from cuesheet_app.ui.catalogue_window import CatalogueWindow
from tests.catalogue_helpers import kreisler_parties


def _seed(url: str) -> Work:
    with Catalogue(url, user="setup") as cat:
        work = Work(title="Schön Rosmarin", iswc="T-034.524.680-1", parties=kreisler_parties())
        cat.save_work(work)
        cat.save_recording(Recording(work_id=work.id, title="Schön Rosmarin", isrc="DEF059503430"))
    return work


def _open(qtbot, url: str, user: str = "alice") -> CatalogueWindow:  # noqa: ANN001
    win = CatalogueWindow(url, user=user)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _click_row(qtbot, win: CatalogueWindow, row: int) -> None:  # noqa: ANN001
    rect = win.table.visualRect(win.hits.index(row, 0))
    qtbot.mouseClick(win.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: win._current is not None, timeout=3000)


def _retype(qtbot, edit, text: str) -> None:  # noqa: ANN001
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def _answer_dialog(qtbot, button_text: str, seen: list) -> Callable[[], None]:  # noqa: ANN001
    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ConflictDialog):
            QTimer.singleShot(50, answer)
            return
        seen.append((dialog.mine_text.toPlainText(), dialog.theirs_text.toPlainText(), str(dialog.error)))
        button = next(b for b in dialog.findChildren(QPushButton) if b.text() == button_text)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return answer


def _bob_changes_publisher(url: str, work_id: int, company: str = "Bob Songs") -> None:
    with Catalogue(url, user="bob") as bob:
        theirs = bob.get_work(work_id)
        theirs.parties = [*theirs.parties[:2], Party(role="E", company=company, share=Fraction(50))]
        theirs.parties[1].share = Fraction(50)
        bob.save_work(theirs)


def test_conflict_shows_both_versions_and_merge_keeps_both(qtbot, pg_url: str) -> None:
    work = _seed(pg_url)
    win = _open(qtbot, pg_url)
    _click_row(qtbot, win, 0)
    _retype(qtbot, win.editor.alt_titles, "Fair Rosemary")
    _bob_changes_publisher(pg_url, work.id)
    seen: list = []
    QTimer.singleShot(50, _answer_dialog(qtbot, "Merge…", seen))
    qtbot.mouseClick(win.editor.save_button, Qt.MouseButton.LeftButton)
    assert seen and "bob" in seen[0][2] and "Bob Songs" in seen[0][1] and "Bob Songs" not in seen[0][0]
    assert "Fair Rosemary" in seen[0][0]
    # The merged version is in the editor to check: theirs plus my alternative title.
    assert "Bob Songs" in [p.display_name for p in win.editor.parties.parties()]
    assert win.editor.alt_titles.text() == "Fair Rosemary"
    qtbot.mouseClick(win.editor.save_button, Qt.MouseButton.LeftButton)
    with Catalogue(pg_url) as cat:
        stored = cat.get_work(work.id)
        assert stored.alt_titles == ["Fair Rosemary"] and "Bob Songs" in [p.company for p in stored.parties]
        assert stored.version == 3 and stored.updated_by == "alice"
    win.close()


def test_conflict_keep_theirs_and_save_mine(qtbot, pg_url: str) -> None:
    work = _seed(pg_url)
    win = _open(qtbot, pg_url)
    _click_row(qtbot, win, 0)
    _retype(qtbot, win.editor.title, "Mine")
    _bob_changes_publisher(pg_url, work.id)
    seen: list = []
    QTimer.singleShot(50, _answer_dialog(qtbot, "Keep theirs", seen))
    qtbot.mouseClick(win.editor.save_button, Qt.MouseButton.LeftButton)
    assert seen
    with Catalogue(pg_url) as cat:
        assert cat.get_work(work.id).title == "Schön Rosmarin" and cat.get_work(work.id).version == 2
    _click_row(qtbot, win, 0)
    _retype(qtbot, win.editor.title, "Mine")
    _bob_changes_publisher(pg_url, work.id, company="Bob Two")
    QTimer.singleShot(50, _answer_dialog(qtbot, "Save mine over theirs", seen))
    qtbot.mouseClick(win.editor.save_button, Qt.MouseButton.LeftButton)
    with Catalogue(pg_url) as cat:
        stored = cat.get_work(work.id)
        assert stored.title == "Mine" and stored.version == 4
        assert [(h.who, h.field) for h in cat.history(work.id)][-2:] == [("alice", "title"), ("alice", "parties")]
    win.close()


def test_history_tab_shows_who_changed_what(qtbot, pg_url: str) -> None:
    work = _seed(pg_url)
    _bob_changes_publisher(pg_url, work.id)
    win = _open(qtbot, pg_url)
    _click_row(qtbot, win, 0)
    history_tab = win.tabs.indexOf(win.team.history)
    qtbot.mouseClick(win.tabs.tabBar(), Qt.MouseButton.LeftButton, pos=win.tabs.tabBar().tabRect(history_tab).center())
    assert win.tabs.currentWidget() is win.team.history
    table = win.team.history
    rows = [[table.item(r, c).text() for c in range(5)] for r in range(table.rowCount())]
    assert rows[0][1] == "bob" and rows[0][2] == "parties" and "Bob Songs" in rows[0][4]
    assert "Bob Songs" not in rows[0][3]
    assert [r[1] for r in rows[-2:]] == ["setup", "setup"]
    win.close()


def test_live_refresh_when_another_supervisor_saves(qtbot, pg_url: str) -> None:
    work = _seed(pg_url)
    win = _open(qtbot, pg_url)
    _click_row(qtbot, win, 0)
    assert len(win.hits.hits) == 1
    with Catalogue(pg_url, user="bob") as bob:
        bob.save_work(Work(title="Brand New Cue", parties=kreisler_parties()))
    qtbot.waitUntil(lambda: "bob saved" in win.statusBar().currentMessage(), timeout=5000)
    assert len(win.hits.hits) == 2
    _retype(qtbot, win.editor.alt_titles, "typing, not lost")
    _bob_changes_publisher(pg_url, work.id, company="Bob Three")
    qtbot.waitUntil(lambda: "bob just saved this entry" in win.editor.status.text(), timeout=5000)
    assert win.editor.alt_titles.text() == "typing, not lost"
    win.close()


def test_offline_banner_outbox_and_back_online(qtbot, pg_server, pg_url: str) -> None:
    from cuesheet_app.rights.offline import cache_place, refresh_cache
    from cuesheet_app.rights.pg_backend import close_pools

    work = _seed(pg_url)
    with Catalogue(pg_url) as cat:
        refresh_cache(cat, cache_place(pg_url).cache)
    close_pools()
    pg_server.stop()
    try:
        win = _open(qtbot, pg_url)
        assert win.team.banner.isVisible() and "offline" in win.team.banner.label.text().lower()
        _click_row(qtbot, win, 0)
        _retype(qtbot, win.editor.alt_titles, "Offline Title")
        qtbot.mouseClick(win.editor.save_button, Qt.MouseButton.LeftButton)
        assert win.catalogue.outbox.pending_count() == 1
        assert "1 edit(s) waiting" in win.team.banner.label.text()
        qtbot.mouseClick(win.team.banner.retry_button, Qt.MouseButton.LeftButton)
        assert win.team.banner.isVisible()  # still away
    finally:
        pg_server.restart_stopped()
    qtbot.mouseClick(win.team.banner.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.team.banner.isVisible(), timeout=10000)
    assert "1 offline change(s) applied" in win.statusBar().currentMessage()
    with Catalogue(pg_url) as cat:
        assert cat.get_work(work.id).alt_titles == ["Offline Title"]
    win.close()


def test_settings_team_catalogue_tab_refuses_a_password_in_the_url(qtbot, memory_keyring) -> None:  # noqa: ANN001
    import json

    from cuesheet_app.settings.catalogue_secrets import SERVICE
    from cuesheet_app.settings.store import Settings, load_settings, settings_path
    from cuesheet_app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), tab="team")
    qtbot.addWidget(dialog)
    dialog.show()
    form = dialog.team_catalogue
    assert dialog.tabs.currentWidget() is form
    qtbot.keyClicks(form.url, "postgresql://ana:s3cret-pw@db.example.org/cuesheet")
    ok = next(b for b in dialog.findChildren(QPushButton) if b.text().replace("&", "") == "OK")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "contains a password" in dialog.error.text()
    assert "s3cret-pw" not in dialog.error.text()
    _retype(qtbot, form.url, "postgresql://ana@db.example.org/cuesheet?sslmode=verify-full")
    qtbot.keyClicks(form.display_name, "Ana (supervisor)")
    qtbot.keyClicks(form.password, "s3cret-pw")
    qtbot.mouseClick(form.store_button, Qt.MouseButton.LeftButton)
    assert memory_keyring.store[(SERVICE, "ana@db.example.org:5432/cuesheet")] == "s3cret-pw"
    assert form.password.text() == ""
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    s = load_settings()
    assert s.catalogue_url == "postgresql://ana@db.example.org/cuesheet?sslmode=verify-full"
    assert s.catalogue_display_name == "Ana (supervisor)"
    assert "s3cret-pw" not in settings_path().read_text() and json.loads(settings_path().read_text())
