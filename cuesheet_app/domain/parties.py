"""The compact party notation of library metadata sheets: ``Name [PRO] [IPI] share%``.

Entries are separated by ';', e.g. ``Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] 50%``.
Shared by the local engine's metadata sheets, the rights catalogue and the CSV export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fractions import Fraction

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
    text = entry.strip()
    if not text:
        raise PartyNotationError("empty party entry")
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
            raise PartyNotationError(f"{entry.strip()!r}: cannot tell what [{v}] is (PRO or IPI)")
    name = _BRACKET.sub("", text).strip()
    if not name:
        raise PartyNotationError(f"{entry.strip()!r}: no name")
    party = Party(role=role, pro=pro, ipi=ipi, share=share)
    if role in ("E", "SE", "AM") or _COMPANY_HINTS.search(name):
        party.company = name
    else:
        first, _, last = name.rpartition(" ")
        party.first_name, party.last_name = first, last
    return party


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
