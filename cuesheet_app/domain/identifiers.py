"""Industry identifiers (ISRC, ISWC, IPI): normalise for storage, check for validation.

Normalisers never invent data: they only strip the punctuation people type, so
validation can still report a malformed value exactly as entered.
"""

from __future__ import annotations

import re

_ISRC_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{2}\d{5}$")
_ISWC_RE = re.compile(r"^T(\d{9})(\d)$")
_IPI_RE = re.compile(r"^\d{9,11}$")


def normalize_isrc(value: str) -> str:
    """'us-rc1-76-07839' -> 'USRC17607839'."""
    return re.sub(r"[\s\-_.]", "", value or "").upper()


def format_isrc(value: str) -> str:
    """Display form CC-XXX-YY-NNNNN (returns the input untouched when it is not a valid ISRC)."""
    v = normalize_isrc(value)
    if not is_valid_isrc(v):
        return value
    return f"{v[:2]}-{v[2:5]}-{v[5:7]}-{v[7:]}"


def is_valid_isrc(value: str) -> bool:
    return bool(_ISRC_RE.match(normalize_isrc(value)))


def normalize_iswc(value: str) -> str:
    """'T-034.524.680-1' -> 'T0345246801'."""
    return re.sub(r"[\s\-.]", "", value or "").upper()


def iswc_check_digit(nine_digits: str) -> int:
    """CISAC check digit: 1 + sum(i * d_i), then (10 - sum mod 10) mod 10."""
    total = 1 + sum(i * int(d) for i, d in enumerate(nine_digits, start=1))
    return (10 - total % 10) % 10


def is_valid_iswc(value: str) -> bool:
    m = _ISWC_RE.match(normalize_iswc(value))
    return bool(m) and iswc_check_digit(m.group(1)) == int(m.group(2))


def format_iswc(value: str) -> str:
    """Display form T-DDD.DDD.DDD-C."""
    v = normalize_iswc(value)
    m = _ISWC_RE.match(v)
    if not m:
        return value
    d = m.group(1)
    return f"T-{d[:3]}.{d[3:6]}.{d[6:]}-{m.group(2)}"


def normalize_ipi(value: str) -> str:
    """Strip spaces and dots; keep leading zeros (an IPI is text, not a number)."""
    return re.sub(r"[\s.\-]", "", value or "")


def is_valid_ipi(value: str) -> bool:
    if value.isascii() and value.isdigit():  # the common case, without a regex substitution
        return 9 <= len(value) <= 11
    return bool(_IPI_RE.match(normalize_ipi(value)))
