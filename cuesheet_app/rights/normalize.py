"""Normalised keys for matching: what an engine reports rarely matches a sheet letter for letter.

"Schön Rosmarin (Remastered)" and "schon rosmarin - remastered" must find the same
recording; catalogue codes are typed "KPM 1043", "KPM-1043" and "kpm1043".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=65536)
def norm_text(value: str | None) -> str:
    """Accents and case folded, '&' read as 'and', punctuation to single spaces.

    Remembered: an import or an auto-fill asks for the same title's key several times per row,
    and names and libraries repeat across thousands of rows."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ").replace("ß", "ss")
    return _NON_ALNUM.sub(" ", text).strip()


def norm_code(value: str | None) -> str:
    """Catalogue/CD codes and library names compared without spaces or punctuation."""
    return norm_text(value).replace(" ", "")


def norm_artists(values: Iterable[str]) -> list[str]:
    return sorted({n for n in (norm_text(v) for v in values) if n})


def norm_party_name(first: str, last: str, company: str) -> str:
    return norm_text(company) if company else norm_text(f"{first} {last}")
