"""Fonts for the PDF: DejaVu Sans (shipped) with a CJK fallback found on the system.

Names like "Antonín Dvořák", "Łódź", Greek and Cyrillic are in DejaVu Sans, which we
ship in ``resources/fonts`` (its license allows it). CJK fonts are several MB, so
we look for one installed on the system instead (see ``CJK_CANDIDATES``; Debian's
``fonts-droid-fallback`` is what ``make`` installs). reportlab cannot switch fonts
per glyph by itself, so :func:`markup` wraps every run of characters the main
font lacks in a ``<font>`` tag for the fallback: Japanese prints as glyphs, not boxes.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from cuesheet_app.export.registry import ExportError
from cuesheet_app.resources import resource

FONT_DIR = resource("fonts")
REGULAR = "CueSans"
BOLD = "CueSans-Bold"
CJK = "CueCJK"

# Searched in order; the first that loads wins. TrueType outlines only (reportlab
# cannot embed CFF-based OpenType such as Noto Sans CJK .otf).
CJK_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",  # macOS
    "C:/Windows/Fonts/msgothic.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


class FontError(ExportError):
    """The shipped fonts are missing or broken (an installation problem)."""


@dataclass(frozen=True)
class FontSet:
    regular: str
    bold: str
    fallback: str | None  # CJK font name, None when no system font was found
    covered: frozenset[int]  # code points the regular font has glyphs for
    fallback_covered: frozenset[int]
    fallback_path: str = ""


_lock = threading.Lock()
_fonts: FontSet | None = None


def _load(name: str, path: Path | str, **kwargs: object) -> TTFont:
    font = TTFont(name, str(path), **kwargs)
    pdfmetrics.registerFont(font)
    return font


def _find_cjk() -> tuple[TTFont | None, str]:
    env = os.environ.get("CUESHEET_CJK_FONT", "").strip()
    for candidate in ((env,) if env else ()) + CJK_CANDIDATES:
        if not candidate or not Path(candidate).is_file():
            continue
        try:
            kwargs = {"subfontIndex": 0} if candidate.lower().endswith(".ttc") else {}
            return _load(CJK, candidate, **kwargs), candidate
        except (TTFError, OSError, ValueError):
            continue
    return None, ""


def fonts() -> FontSet:
    """Register the fonts once per process and say which characters each covers."""
    global _fonts
    with _lock:
        if _fonts is not None:
            return _fonts
        try:
            regular = _load(REGULAR, FONT_DIR / "DejaVuSans.ttf")
            _load(BOLD, FONT_DIR / "DejaVuSans-Bold.ttf")
        except (TTFError, OSError) as exc:
            raise FontError(f"The PDF fonts in {FONT_DIR} cannot be loaded ({exc}); reinstall the app") from None
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
        cjk, cjk_path = _find_cjk()
        _fonts = FontSet(
            regular=REGULAR,
            bold=BOLD,
            fallback=CJK if cjk else None,
            covered=frozenset(regular.face.charToGlyph),
            fallback_covered=frozenset(cjk.face.charToGlyph) if cjk else frozenset(),
            fallback_path=cjk_path,
        )
        return _fonts


def markup(text: str, fs: FontSet | None = None) -> str:
    """Paragraph markup for plain text: XML-escaped, runs the main font lacks in the fallback font."""
    fs = fs or fonts()
    if not text:
        return ""
    if fs.fallback is None or all(ord(ch) in fs.covered for ch in text):
        return escape(text).replace("\n", "<br/>")
    out: list[str] = []
    run: list[str] = []
    in_fallback = False
    for ch in text:
        cp = ord(ch)
        use_fallback = cp not in fs.covered and cp in fs.fallback_covered and not ch.isspace()
        if use_fallback != in_fallback and run:
            out.append(_emit(run, in_fallback, fs))
            run = []
        in_fallback = use_fallback
        run.append(ch)
    if run:
        out.append(_emit(run, in_fallback, fs))
    return "".join(out).replace("\n", "<br/>")


def _emit(run: list[str], fallback: bool, fs: FontSet) -> str:
    text = escape("".join(run))
    return f'<font name="{fs.fallback}">{text}</font>' if fallback else text
