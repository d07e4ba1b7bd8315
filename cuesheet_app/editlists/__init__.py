"""Edit-list readers: CMX 3600 EDL (our tolerant reader), Pro Tools "Session Info as Text" (ours)
and, through OpenTimelineIO and its adapters, FCP 7 XML, FCPXML, AAF, .otio and .otioz.

Each produces a ``domain.edit_clips.EditList``; ``read_edit_list`` picks the reader from the
file's content (its suffix only as a hint), so a misnamed file still gets the right reader or a
clear "not an edit list".
"""
