"""Validation findings, as data: the exporters print them and the UI marks cells with them.

Validation never changes the sheet. Required fields differ per PRO, so they are
kept in profiles; ``generic`` is the intersection that every PRO asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from cuesheet_app.domain import identifiers as ids
from cuesheet_app.domain.model import Cue, CueSheet
from cuesheet_app.domain.parties import format_share, share_total
from cuesheet_app.domain.timecode import format_duration


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    cue_id: str | None = None  # None: about the header or the sheet as a whole
    field: str | None = None  # cue field or "header.<name>"
    party_index: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "cue_id": self.cue_id,
            "field": self.field,
            "party_index": self.party_index,
        }


@dataclass(frozen=True)
class Profile:
    name: str
    label: str
    header_required: tuple[str, ...]
    cue_required: tuple[str, ...]
    library_required: tuple[str, ...] = ()
    needs_parties: bool = True
    extra_usages: dict[str, str] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "generic",
            "Generic",
            header_required=("program_title", "production_company", "program_duration"),
            cue_required=("title", "usage"),
        ),
        Profile(
            "ascap_bmi",
            "ASCAP / BMI (2016 template)",
            header_required=(
                "program_title", "episode_title", "production_company", "date_prepared",
                "category", "version", "network", "program_duration", "prepared_by",
            ),
            cue_required=("title", "usage"),
        ),
        Profile(
            "prs",
            "PRS for Music",
            header_required=("program_title", "production_company", "network", "program_duration"),
            cue_required=("title", "usage", "origin"),
            library_required=("library", "catalogue_number"),
        ),
        Profile(
            "socan",
            "SOCAN",
            header_required=("program_title", "episode_title", "production_company", "program_duration"),
            cue_required=("title", "usage"),
        ),
        Profile(
            "apra",
            "APRA AMCOS",
            header_required=(
                "program_title", "production_company", "production_number",
                "country_of_origin", "program_duration", "initial_air_date",
            ),
            cue_required=("title", "usage", "origin", "vocal"),
            library_required=("label", "catalogue_number", "track_number"),
        ),
    )
}

_HEADER_LABELS = {
    "program_title": "Program title",
    "episode_title": "Episode title",
    "production_company": "Production company",
    "production_number": "Production number",
    "date_prepared": "Date prepared",
    "category": "Category",
    "version": "Version",
    "network": "Network / source",
    "program_duration": "Program duration",
    "prepared_by": "Prepared by",
    "country_of_origin": "Country of origin",
    "initial_air_date": "Initial air date",
}
_HUNDRED = Fraction(100)
# Flags set by an edit-list import and by identification checked against the edit.
EDIT_FLAGS = {
    "rights-needed": ("parties", "music from the edit that neither the library nor the catalogue knows: find its rights"),
    "edit-other-track": ("title", "the audio identifies another track than the edit names (see notes)"),
    "not-in-edit": ("title", "music in the mix that no clip of the edit list names"),
    "edit-silent": ("start", "the edit has this clip but it is silent in the mix (muted or mixed out)"),
}


def validate(sheet: CueSheet, profile: str = "generic") -> list[Finding]:
    prof = PROFILES.get(profile, PROFILES["generic"])
    out: list[Finding] = []
    out += _header_findings(sheet, prof)
    active = [c for c in sheet.cues if c.active]
    for cue in active:
        out += validate_cue(cue, prof, sheet)
    out += _overlaps(sheet, active)
    total = sheet.total_music_frames()
    if sheet.header.program_duration and total > sheet.header.program_duration:
        out.append(
            Finding(
                Severity.ERROR,
                "music-longer-than-program",
                f"Total music {format_duration(sheet.seconds(total), hours=True)} is longer than the program "
                f"({format_duration(sheet.seconds(sheet.header.program_duration), hours=True)}); carve out overlaps",
                field="header.program_duration",
            )
        )
    return out


def _header_findings(sheet: CueSheet, prof: Profile) -> list[Finding]:
    out = []
    h = sheet.header
    for name in prof.header_required:
        value = getattr(h, name)
        if value in ("", 0, None):
            out.append(
                Finding(Severity.ERROR, "missing-header", f"{_HEADER_LABELS.get(name, name)} is missing",
                        field=f"header.{name}")
            )
    if h.classification == "Revised" and h.revision_number < 1:
        out.append(Finding(Severity.WARNING, "revision-number", "Revised sheet without a revision number",
                           field="header.revision_number"))
    return out


def validate_cue(cue: Cue, prof: Profile | str = "generic", sheet: CueSheet | None = None) -> list[Finding]:
    """Findings for one cue (the table re-checks a cue as the user types)."""
    if isinstance(prof, str):
        prof = PROFILES.get(prof, PROFILES["generic"])
    label = f"Cue {cue.seq or '?'} ({cue.cue_number or cue.title or cue.id})"
    out: list[Finding] = []

    def add(sev: Severity, code: str, msg: str, fieldname: str | None = None, party: int | None = None) -> None:
        out.append(Finding(sev, code, f"{label}: {msg}", cue.id, fieldname, party))

    if cue.end <= cue.start:
        add(Severity.ERROR, "out-before-in", "time out is not after time in", "end")
    required = prof.cue_required + (prof.library_required if cue.origin == "library" else ())
    for name in required:
        if not getattr(cue, name):
            add(Severity.ERROR, "missing-field", f"{name.replace('_', ' ')} is missing", name)
    if "unidentified" in cue.flags:
        add(Severity.WARNING, "unidentified", "music is not identified yet", "title")
    if "short" in cue.flags:
        add(Severity.WARNING, "short", "shorter than the minimum cue length", "end")
    for flag, (fieldname, msg) in EDIT_FLAGS.items():
        if flag in cue.flags:
            add(Severity.WARNING, flag, msg, fieldname)
    if cue.isrc and not ids.is_valid_isrc(cue.isrc):
        add(Severity.ERROR, "bad-isrc", f"ISRC {cue.isrc!r} is not CC-XXX-YY-NNNNN", "isrc")
    if cue.iswc and not ids.is_valid_iswc(cue.iswc):
        add(Severity.ERROR, "bad-iswc", f"ISWC {cue.iswc!r} is not T-NNN.NNN.NNN-C with a valid check digit", "iswc")
    writers = [p for p in cue.parties if p.is_writer]
    publishers = [p for p in cue.parties if p.is_publisher]
    if prof.needs_parties and not writers and "unidentified" not in cue.flags:
        add(Severity.ERROR, "no-writers", "no composer or author", "parties")
    for i, p in enumerate(cue.parties):
        if not p.display_name:
            add(Severity.ERROR, "party-name", f"party {i + 1} has no name", "parties", i)
        if p.ipi and not ids.is_valid_ipi(p.ipi):
            add(Severity.ERROR, "bad-ipi", f"IPI {p.ipi!r} of {p.display_name or 'party ' + str(i + 1)} must be 9–11 digits", "parties", i)
        # integer comparisons: Fraction's operators dominate validation time on big sheets
        if p.share.numerator < 0 or p.share.numerator > 100 * p.share.denominator:
            add(Severity.ERROR, "bad-share", f"share {format_share(p.share)}% of {p.display_name} is out of range", "parties", i)
    for kind, group in (("writer", writers), ("publisher", publishers)):
        if group:
            total = share_total(group)
            if total != _HUNDRED:
                add(Severity.ERROR, f"{kind}-shares", f"{kind} shares add up to {format_share(total)}%, not 100%", "parties")
    return out


def _overlaps(sheet: CueSheet, active: list[Cue]) -> list[Finding]:
    out = []
    ordered = sorted(active, key=lambda c: (c.start, c.end))
    latest: Cue | None = None
    for cue in ordered:
        if latest is not None and cue.start < latest.end:
            overlap = min(cue.end, latest.end) - cue.start
            out.append(
                Finding(
                    Severity.WARNING,
                    "overlap",
                    f"Cue {cue.seq} ({cue.title}) overlaps cue {latest.seq} ({latest.title}) by "
                    f"{format_duration(sheet.seconds(overlap))}",
                    cue.id,
                    "start",
                )
            )
        if latest is None or cue.end > latest.end:
            latest = cue
    return out


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
