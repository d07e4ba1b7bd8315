"""The workspace's keys (File, Episodes, Transport, Help), added to the one shortcut table.

They live in ``ui/shortcuts.py``'s table through ``register`` so menus, help and
docs list every key of the app from one place.
"""

from __future__ import annotations

from cuesheet_app.ui.shortcuts import SHORTCUTS, Shortcut, register

WORKSPACE_SHORTCUTS = [
    Shortcut("file.new", ("Ctrl+N",), "&New Project", "File"),
    Shortcut("file.open", ("Ctrl+O",), "&Open Project…", "File"),
    Shortcut("file.add_episodes", ("Ctrl+Shift+O",), "&Add Episodes…", "File",
             tip="Add episode files (or drop files and folders anywhere on the window)"),
    Shortcut("file.import_edit", ("Ctrl+Shift+E",), "Import &Edit List…", "File",
             tip="Cues from the picture edit: EDL, FCP XML, FCPXML, AAF, OTIO or Pro Tools session text "
                 "(or drop one on the window, with its episode or onto the open one)"),
    Shortcut("file.save", ("Ctrl+S",), "&Save", "File"),
    Shortcut("file.save_as", ("Standard:SaveAs|Ctrl+Shift+S",), "Save &As…", "File"),
    Shortcut("file.export", ("Ctrl+E",), "&Export…", "File"),
    Shortcut("file.export_xlsx", (), "Export to E&xcel…", "File"),
    Shortcut("file.export_pdf", (), "Export to &PDF…", "File"),
    Shortcut("file.export_csv", (), "Export to &CSV…", "File"),
    Shortcut("file.settings", ("Ctrl+,",), "Se&ttings…", "File"),
    Shortcut("file.quit", ("Ctrl+Q",), "&Quit", "File"),
    Shortcut("tools.catalogue", ("Ctrl+Shift+K",), "Rights &Catalogue…", "Tools",
             tip="Browse and edit the works, recordings and parties that fill cues automatically"),
    Shortcut("episode.identify", ("Ctrl+I",), "&Identify", "Episodes",
             tip="Find and identify the music in the selected episodes"),
    Shortcut("episode.cancel", ("Ctrl+.",), "&Cancel", "Episodes"),
    Shortcut("episode.retry", ("Ctrl+Shift+I",), "&Retry", "Episodes"),
    Shortcut("episode.open", ("Ctrl+Return",), "&Open in Editor", "Episodes"),
    Shortcut("episode.remove", ("Ctrl+Backspace",), "Re&move from Bin", "Episodes"),
    Shortcut("episode.reveal", ("Ctrl+Shift+R",), "Reveal in &File Manager", "Episodes"),
    Shortcut("transport.play_pause", ("Space",), "&Play / Pause", "Transport"),
    Shortcut("transport.stop", ("Ctrl+Space",), "&Stop", "Transport"),
    Shortcut("transport.back_second", ("Shift+Left",), "Back 1 Second", "Transport"),
    Shortcut("transport.forward_second", ("Shift+Right",), "Forward 1 Second", "Transport"),
    Shortcut("transport.back_frame", ("Alt+Left",), "Back 1 Frame", "Transport"),
    Shortcut("transport.forward_frame", ("Alt+Right",), "Forward 1 Frame", "Transport"),
    Shortcut("transport.shuttle_reverse", ("J",), "Shuttle &Reverse (J)", "Transport"),
    Shortcut("transport.shuttle_stop", ("K",), "Shuttle S&top (K)", "Transport"),
    Shortcut("transport.shuttle_forward", ("L",), "Shuttle &Forward (L)", "Transport"),
    Shortcut("help.shortcuts", ("F1",), "&Keyboard Shortcuts", "Help"),
    Shortcut("help.about", (), "&About Cue Sheet", "Help"),
    Shortcut("help.welcome", (), "&Welcome and Demo", "Help"),
]

_known = {s.action_id for s in SHORTCUTS}
for _entry in WORKSPACE_SHORTCUTS:
    if _entry.action_id not in _known:
        register(_entry)
