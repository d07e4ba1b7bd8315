"""What FFmpeg (PyAV) reads and broadcasters deliver, by file extension.

Anything else is refused up front with its reason; a file of a listed type that turns out
corrupt fails in its job, with the reason. Shared by the GUI's episode bin and ``batch``.
"""

from __future__ import annotations

MEDIA_SUFFIXES = frozenset(
    [".wav", ".wave", ".bwf", ".aif", ".aiff", ".aifc", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus",
     ".wma", ".mka", ".ac3", ".eac3", ".mp4", ".m4v", ".mov", ".mxf", ".mkv", ".webm", ".avi", ".wmv", ".mpg",
     ".mpeg", ".m2v", ".ts", ".mts", ".m2ts", ".vob", ".dv", ".3gp", ".flv"]
)
