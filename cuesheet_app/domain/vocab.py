"""Controlled vocabularies as data, so territory profiles can map their own terms."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    label: str
    description: str = ""


USAGES: tuple[Term, ...] = (
    Term("BI", "Background Instrumental"),
    Term("BV", "Background Vocal"),
    Term("VI", "Visual Instrumental", "Performed on screen, instrumental"),
    Term("VV", "Visual Vocal", "Performed on screen, with vocals"),
    Term("MT", "Main Title"),
    Term("ET", "End Title"),
    Term("TH", "Theme / Signature"),
    Term("LO", "Logo"),
    Term("SO", "Source", "Heard from a source in the scene (radio, TV)"),
)
DEFAULT_USAGE = "BI"

ROLES: tuple[Term, ...] = (
    Term("C", "Composer"),
    Term("A", "Author"),
    Term("CA", "Composer/Author"),
    Term("AR", "Arranger"),
    Term("E", "Publisher"),
    Term("SE", "Sub-Publisher"),
    Term("AM", "Administrator"),
)
WRITER_ROLES = frozenset({"C", "A", "CA", "AR"})
PUBLISHER_ROLES = frozenset({"E", "SE", "AM"})

ORIGINS: tuple[Term, ...] = (
    Term("library", "Library / Production music"),
    Term("commercial", "Commercial"),
    Term("commissioned", "Specially commissioned"),
    Term("unknown", "Unknown"),
)

VOCALS: tuple[Term, ...] = (
    Term("", "—"),
    Term("instrumental", "Instrumental"),
    Term("vocal", "Vocal"),
    Term("mix", "Mix"),
)

CATEGORIES: tuple[str, ...] = (
    "Series", "Movie", "Special", "Pilot", "Documentary", "Short", "Promo", "Other",
)
VERSIONS: tuple[str, ...] = (
    "Original", "Edited for TV", "Director's Cut", "International", "Airline", "Other",
)
CLASSIFICATIONS: tuple[str, ...] = ("Original", "Revised")

PROS: tuple[str, ...] = (
    "ASCAP", "BMI", "SESAC", "GMR", "SOCAN", "PRS", "APRA", "GEMA", "SACEM", "SIAE",
    "SGAE", "JASRAC", "STIM", "TONO", "KODA", "TEOSTO", "BUMA", "SABAM", "SUISA", "AKM",
    "IMRO", "SAMRO", "NS", "PD",
)


def codes(terms: tuple[Term, ...]) -> list[str]:
    return [t.code for t in terms]


def label_of(terms: tuple[Term, ...], code: str) -> str:
    for t in terms:
        if t.code == code:
            return t.label
    return code


# Territory profiles map our internal usage codes to what their forms print.
USAGE_MAPS: dict[str, dict[str, str]] = {
    "generic": {t.code: t.code for t in USAGES},
    "cisac": {
        "BI": "Background", "BV": "Background", "VI": "Featured", "VV": "Featured",
        "MT": "Theme", "ET": "Theme", "TH": "Theme", "LO": "Theme", "SO": "Featured",
    },
    "bbc": {
        "BI": "Background", "BV": "Background", "VI": "Visual", "VV": "Visual",
        "MT": "Signature Tune", "ET": "Signature Tune", "TH": "Signature Tune",
        "LO": "Signature Tune", "SO": "Visual",
    },
}

# Where a sheet is in its life (Soundmouse-style): a submitted sheet is locked until reopened,
# and reopening starts a revision.
STATUSES: tuple[Term, ...] = (
    Term("draft", "Draft"),
    Term("ready_for_review", "Ready for review"),
    Term("submitted", "Submitted"),
)
STATUS_LABELS: dict[str, str] = {t.code: t.label for t in STATUSES}
