"""Reference-track metadata from the file's own tags (mutagen), in the event field names.

Why the "easy" tag interface: ID3, Vorbis comments, MP4 atoms and APE all spell title,
artist, ISRC and composer differently; mutagen's easy mode maps them to one vocabulary, and
we add the raw frames it leaves out (label/publisher live in TPUB, LABEL, ORGANIZATION...).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from cuesheet_app.domain.identifiers import is_valid_isrc, normalize_isrc

log = logging.getLogger(__name__)

_EASY_KEYS = {
    "title": "title", "artist": "artists", "album": "album", "date": "release_date",
    "originaldate": "release_date", "isrc": "isrc", "composer": "composers",
    "organization": "label", "label": "label", "publisher": "publishers",
    "tracknumber": "track_number", "catalognumber": "catalogue_number",
}
_SPLIT = re.compile(r"\s*(?:;|/|\x00)\s*")


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip()


def read_tags(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Title, artists, album, label, release date, ISRC, composers, publishers... where present.

    Never raises for a file mutagen cannot read: tags are optional, the audio is what matters.
    """
    try:
        import mutagen

        tagged = mutagen.File(str(path), easy=True)
    except Exception as exc:  # mutagen raises format-specific errors for damaged tags
        log.info("No readable tags in %s: %s", path, exc)
        return {}
    if tagged is None or not getattr(tagged, "tags", None):
        return {}
    out: dict[str, Any] = {}
    tags = tagged.tags
    for key in list(tags.keys()):
        name = _EASY_KEYS.get(str(key).lower())
        if not name or name in out:
            continue
        values = tags[key] if isinstance(tags[key], list) else [tags[key]]
        texts = [str(v).strip() for v in values if str(v).strip()]
        if not texts:
            continue
        if name == "artists":
            out[name] = [a for t in texts for a in _SPLIT.split(t) if a]
        elif name in ("composers", "publishers"):
            out[name] = "; ".join(a for t in texts for a in _SPLIT.split(t) if a)
        elif name == "track_number":
            out[name] = texts[0].split("/")[0].strip()
        elif name == "release_date":
            out[name] = texts[0][:10]
        else:
            out[name] = texts[0]
    if "isrc" in out:
        out["isrc"] = normalize_isrc(out["isrc"]) if is_valid_isrc(out["isrc"]) else out["isrc"]
    return out
