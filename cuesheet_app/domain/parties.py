"""The compact party notation of library metadata sheets: ``Name [PRO] [IPI] share%``.

Entries are separated by ';', e.g. ``Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] 50%``.
Shared by the local engine's metadata sheets, the rights catalogue and the CSV export.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from cuesheet_app.domain.model import Party
from cuesheet_app.domain.vocab import PROS

_BRACKET = re.compile(r"\[([^\]]*)\]")
_SHARE = re.compile(r"(\d+(?:[.,]\d+)?)\s*%\s*$")
_COMPANY_HINTS = re.compile(
    r"\b(music|publishing|publishers?|records|ltd|llc|inc|gmbh|s\.a\.|corp|co\.|company|songs|editions?|library|productions?)\b",
    re.IGNORECASE,
)


class PartyNotationError(ValueError):
    pass


def parse_party(entry: str, role: str) -> Party:
    """One entry; ``role`` is the default role (C for composers, E for publishers)."""
    ok, result = _parse_party(entry.strip(), role)
    if not ok:
        raise PartyNotationError(result)
    first, last, company, pro, ipi, share = result
    return Party(role=role, first_name=first, last_name=last, company=company, pro=pro, ipi=ipi, share=share)


@functools.lru_cache(maxsize=8192)
def _parse_party(text: str, role: str) -> tuple[bool, Any]:
    """(True, (first, last, company, pro, ipi, share)) or (False, why). Remembered: a library
    sheet credits the same writers on thousands of rows, and the sheet reader and the importer
    both read every entry. The answer is immutable; ``parse_party`` makes each caller a Party."""
    if not text:
        return False, "empty party entry"
    entry = text
    share = Fraction(0)
    m = _SHARE.search(text)
    if m:
        share = Fraction(m.group(1).replace(",", "."))
        text = text[: m.start()].strip()
    pro = ipi = ""
    for value in _BRACKET.findall(text):
        v = value.strip()
        if re.fullmatch(r"[\d .]{9,14}", v) and len(re.sub(r"\D", "", v)) in range(9, 12):
            ipi = re.sub(r"\D", "", v)
        elif v.upper() in PROS or re.fullmatch(r"[A-Za-z][A-Za-z &/-]{0,15}", v):
            pro = v.upper()
        else:
            return False, f"{entry!r}: cannot tell what [{v}] is (PRO or IPI)"
    name = _BRACKET.sub("", text).strip()
    if not name:
        return False, f"{entry!r}: no name"
    if role in ("E", "SE", "AM") or _COMPANY_HINTS.search(name):
        return True, ("", "", name, pro, ipi, share)
    first, _, last = name.rpartition(" ")
    return True, (first, last, "", pro, ipi, share)


def parse_parties(text: str, role: str) -> list[Party]:
    return [parse_party(e, role) for e in (text or "").split(";") if e.strip()]


def format_party(p: Party) -> str:
    out = p.display_name
    if p.pro:
        out += f" [{p.pro}]"
    if p.ipi:
        out += f" [{p.ipi}]"
    if p.share:
        out += f" {format_share(p.share)}%"
    return out


def format_parties(parties: list[Party]) -> str:
    return "; ".join(format_party(p) for p in parties)


def share_total(parties: Iterable[Party]) -> Fraction:
    """Sum of shares (percent). Integer arithmetic when every share is whole: Fraction's
    operators otherwise dominate validating a large sheet."""
    shares = [p.share for p in parties]
    if all(s.denominator == 1 for s in shares):
        return Fraction(sum(s.numerator for s in shares))
    return sum(shares, Fraction(0))


def share_totals(parties: Iterable[Party]) -> tuple[Fraction, Fraction]:
    """(writer shares, publisher shares); each should be 100 when the group is present."""
    parties = list(parties)
    return share_total(p for p in parties if p.is_writer), share_total(p for p in parties if p.is_publisher)


def format_share(share: Fraction) -> str:
    """'50', '33.33' – up to two decimals, no trailing zeros."""
    if share.denominator == 1:
        return str(share.numerator)
    return f"{float(share):.2f}".rstrip("0").rstrip(".")
