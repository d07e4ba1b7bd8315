"""``read_edit_list``: one entry point for every edit-list format, chosen by the file's content."""

from __future__ import annotations

from pathlib import Path

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.edit_clips import EditList
from cuesheet_app.editlists import cmx_edl, otio_reader, protools_text
from cuesheet_app.editlists.errors import EditListError

SUFFIXES = (".edl", ".xml", ".fcpxml", ".aaf", ".otio", ".otioz", ".txt")
FILE_FILTER = "Edit lists (*.edl *.xml *.fcpxml *.aaf *.otio *.otioz *.txt)"


def looks_like_edit_list(path: str | Path) -> bool:
    """For sorting dropped files: an edit-list suffix (a ``.txt`` only when it is a Pro Tools
    session text). A bad file that looks like one is then refused by the reader, with its reason."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES or not p.is_file():
        return False
    if suffix != ".txt":
        return True
    try:
        with p.open("rb") as f:
            head = f.read(4000).decode("utf-8", errors="replace")
    except OSError:
        return False
    return protools_text.looks_like_protools(head)


def read_edit_list(path: str | Path, rate: tc.FrameRate | None = None) -> EditList:
    """Read any supported edit list. ``rate``: the timeline rate for formats that carry none (CMX
    EDL) or a forced ``--fps``. Raises ``EditListError`` with a message naming file (and line)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            head = f.read(65536)
    except OSError as exc:
        raise EditListError(f"cannot read the file: {exc.strerror or exc}", str(p)) from None
    if not head.strip():
        raise EditListError("the file is empty: not an edit list", str(p))
    adapter = otio_reader.sniff(p, head)
    if adapter is not None:
        return otio_reader.read_otio(p, adapter, rate)
    text_head = head.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    if text_head.startswith("<"):
        raise EditListError("this XML is not Final Cut Pro XML (no <xmeml> or <fcpxml> root): "
                            "export the sequence as FCP 7 XML or FCPXML", str(p))
    if b"\x00" in head[:4096]:
        raise EditListError("not an edit list: binary data that is neither AAF nor .otioz", str(p))
    if protools_text.looks_like_protools(text_head):
        return protools_text.read_protools_text(p, rate)
    if cmx_edl.looks_like_edl(text_head) or p.suffix.lower() == ".edl":
        return cmx_edl.read_edl(p, rate)
    raise EditListError("not an edit list: expected a CMX 3600 EDL, FCP XML, FCPXML, AAF, OTIO "
                        "or Pro Tools session text", str(p))
