"""Validation on entry: what must be right before rights go into the catalogue.

Unlike cue validation (which reports and never blocks), the catalogue refuses a bad
ISWC, a malformed IPI or shares that do not add up, because a wrong entry here is
copied into every later episode.
"""

from __future__ import annotations

from fractions import Fraction

from cuesheet_app.domain.identifiers import (
    is_valid_ipi,
    is_valid_isrc,
    is_valid_iswc,
)
from cuesheet_app.domain.parties import format_share, share_total
from cuesheet_app.domain.vocab import PUBLISHER_ROLES, ROLES, WRITER_ROLES, codes
from cuesheet_app.rights.records import Recording, Work

HUNDRED = Fraction(100)


def work_problems(work: Work) -> list[str]:
    """Every reason the work cannot be stored, each naming the field; empty when fine."""
    out: list[str] = []
    if not work.title.strip():
        out.append("title: a work needs a title")
    if work.iswc and not is_valid_iswc(work.iswc):
        out.append(f"iswc: {work.iswc!r} is not a valid ISWC (T-DDD.DDD.DDD-C with its check digit)")
    for i, p in enumerate(work.parties, start=1):
        who = p.display_name or f"party {i}"
        if not p.display_name.strip():
            out.append(f"parties: party {i} has no name")
        if p.role not in codes(ROLES):
            out.append(f"parties: {who} has unknown role {p.role!r}")
        if p.ipi and not is_valid_ipi(p.ipi):
            out.append(f"parties: IPI {p.ipi!r} of {who} must be 9 to 11 digits")
        if p.share < 0 or p.share > HUNDRED:
            out.append(f"parties: share {format_share(p.share)}% of {who} is out of range")
    for kind, roles in (("writer", WRITER_ROLES), ("publisher", PUBLISHER_ROLES)):
        group = [p for p in work.parties if p.role in roles]
        total = share_total(group)
        # Shares may be unknown (all zero); once any is given, the group must add up.
        if total and total != HUNDRED:
            out.append(f"parties: {kind} shares add up to {format_share(total)}%, not 100%")
    return out


def recording_problems(rec: Recording) -> list[str]:
    out: list[str] = []
    if not (rec.title.strip() or rec.isrc or rec.catalogue_number):
        out.append("title: a recording needs a title, an ISRC or a catalogue number")
    if rec.isrc and not is_valid_isrc(rec.isrc):
        out.append(f"isrc: {rec.isrc!r} is not a valid ISRC (CC-XXX-YY-NNNNN)")
    return out

