"""What every export prints, computed once: the cues, their times, durations and parties.

Excel, PDF and CSV must never disagree about which cues are on the sheet, what
their times are or what the total music duration is, so the choices in
``ExportOptions`` are applied here and the writers only lay the result out.

Rules:
- Inactive cues are left out unless ``include_inactive``; when included they are
  marked and never count towards the total music duration.
- Times are relative to the program start (the PRO convention) or to the media file.
- Durations are rounded per cue with the rounding policy; the printed total is the
  sum of the printed durations, so a PRO adding the column gets the same number.
- Times in/out are shown to the nearest second (exact with the EXACT policy); the
  rounding policy is about what gets paid, i.e. durations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import Cue, CueSheet, Party, ProductionHeader
from cuesheet_app.domain.parties import format_share
from cuesheet_app.domain.sheet_diff import describe, diff_sheets
from cuesheet_app.domain.status import status_line
from cuesheet_app.domain.validation import PROFILES, Finding, validate
from cuesheet_app.domain.vocab import ORIGINS, ROLES, USAGE_MAPS, USAGES, WRITER_ROLES, label_of
from cuesheet_app.export.options import ExportOptions

# Characters that make a spreadsheet treat a cell as a formula (or a DDE call).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Which printed usage vocabulary a validation profile uses; others print our codes.
PROFILE_USAGE_MAP = {"apra": "cisac"}


def needs_guard(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula."""
    return bool(text) and text.startswith(FORMULA_TRIGGERS)


def csv_safe(text: str) -> str:
    """Text for a CSV cell: a leading quote makes Excel/LibreOffice show formula-like text literally.

    The OWASP-recommended guard; the quote is visible, nothing else is changed.
    """
    return "'" + text if needs_guard(text) else text


@dataclass(frozen=True)
class Time:
    """A printed time: exact seconds and its H/M/S cells (with a sign for pre-program times)."""

    seconds: Fraction
    exact: bool

    @property
    def shown(self) -> Fraction:
        return self.seconds if self.exact else tc.round_seconds(self.seconds, tc.Rounding.NEAREST)

    @property
    def negative(self) -> bool:
        return self.shown < 0

    def hms(self) -> tuple[int, int, Fraction]:
        """(H, M, S) of the absolute value; S is whole unless exact."""
        value = abs(self.shown)
        whole = math.floor(value)
        return whole // 3600, (whole // 60) % 60, value - (whole // 60) * 60

    def text(self) -> str:
        policy = tc.Rounding.EXACT if self.exact else tc.Rounding.NEAREST
        return tc.format_duration(self.seconds, policy, hours=True)


@dataclass(frozen=True)
class PartyLine:
    """One interested party as printed."""

    role: str
    role_label: str
    first_name: str
    last_name: str
    company: str
    pro: str
    ipi: str
    share: Fraction  # percent

    @property
    def is_writer(self) -> bool:
        return self.role in WRITER_ROLES

    @property
    def name(self) -> str:
        if self.company:
            return self.company
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def share_fraction(self) -> Fraction:
        """0..1, what a spreadsheet formats as a percentage."""
        return self.share / 100

    @property
    def share_text(self) -> str:
        return f"{format_share(self.share)}%" if self.share else ""

    def describe(self) -> str:
        """'Antonín Dvořák (C, OSA, IPI 00012345678, 50%)'."""
        bits = [self.role]
        if self.pro:
            bits.append(self.pro)
        if self.ipi:
            bits.append(f"IPI {self.ipi}")
        if self.share:
            bits.append(self.share_text)
        return f"{self.name} ({', '.join(bits)})"


@dataclass
class CueRow:
    """One cue as printed."""

    cue: Cue
    seq: int
    usage: str  # in the profile's vocabulary
    time_in: Time
    time_out: Time
    duration: Fraction  # rounded with the policy
    rounding: tc.Rounding
    parties: list[PartyLine]

    @property
    def active(self) -> bool:
        return self.cue.active

    @property
    def seq_text(self) -> str:
        return str(self.seq) if self.seq else "—"

    @property
    def title(self) -> str:
        return self.cue.title

    @property
    def writers(self) -> list[PartyLine]:
        return [p for p in self.parties if p.is_writer]

    @property
    def publishers(self) -> list[PartyLine]:
        return [p for p in self.parties if not p.is_writer]

    def duration_text(self) -> str:
        return tc.format_duration(self.duration, tc.Rounding.EXACT)

    def duration_ms(self) -> tuple[int, Fraction]:
        """(M, S) cells; minutes may exceed 59, as on the ASCAP/BMI grid."""
        whole = math.floor(self.duration)
        return whole // 60, self.duration - (whole // 60) * 60


@dataclass
class Total:
    label: str
    count: int = 0
    seconds: Fraction = Fraction(0)


@dataclass
class ExportData:
    """Everything a writer needs; build it with :func:`build`."""

    header: ProductionHeader
    options: ExportOptions
    rows: list[CueRow]
    total_music: Fraction
    program_duration: Fraction
    findings: list[Finding]
    usage_vocabulary: list[tuple[str, str]]  # (printed code, label), every usage that can appear
    usage_legend: list[tuple[str, str]]  # only the usages on this sheet
    by_usage: list[Total] = field(default_factory=list)
    by_origin: list[Total] = field(default_factory=list)
    # a revised sheet's changes since the version it revises (``sheet_diff.describe`` lines)
    changes: list[str] = field(default_factory=list)

    @property
    def revised_label(self) -> str:
        """'REVISED (2)' on a revised sheet; empty on an original."""
        h = self.header
        if h.classification != "Revised":
            return ""
        return f"REVISED ({h.revision_number})" if h.revision_number else "REVISED"

    @property
    def title_line(self) -> str:
        """Program and episode as a footer or file title says them."""
        h = self.header
        parts = [h.program_title or "Untitled program"]
        if h.episode_number:
            parts.append(f"#{h.episode_number}")
        if h.episode_title:
            parts.append(f"“{h.episode_title}”")
        return " ".join(parts)

    def format_total(self, seconds: Fraction | None = None) -> str:
        value = self.total_music if seconds is None else seconds
        return tc.format_duration(value, tc.Rounding.EXACT, hours=True)

    def header_fields(self) -> list[tuple[str, str]]:
        """The production header as (label, value), in the ASCAP/BMI 2016 template's order."""
        h = self.header
        classification = h.classification
        if self.revised_label:
            classification = f"Revised ({h.revision_number})" if h.revision_number else "Revised"
        extra = [("Country of origin", h.country_of_origin)] if h.country_of_origin else []
        return [
            ("Cue sheet classification", classification),
            ("Status", status_line(h)),
            ("Date prepared", h.date_prepared),
            ("Initial air date", h.initial_air_date),
            ("Category", h.category),
            ("Version", h.version),
            ("Network / source", h.network),
            ("Program duration", tc.format_duration(self.program_duration, tc.Rounding.NEAREST, hours=True)
             if self.program_duration else ""),
            ("Total music duration", self.format_total()),
            ("Program title", h.program_title),
            ("Program AKAs", "; ".join(h.program_akas)),
            ("Episode title", h.episode_title),
            ("Episode AKAs", "; ".join(h.episode_akas)),
            ("Episode number", h.episode_number),
            ("Production number", h.production_number),
            ("Production company", h.production_company),
            ("Mailing address", h.company_contact),
            ("Prepared by", h.prepared_by),
            ("Email", h.prepared_by_email),
            *extra,
        ]


def usage_vocabulary(profile: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(our code -> printed code, [(printed code, label)]) for a validation profile."""
    mapping = USAGE_MAPS[PROFILE_USAGE_MAP.get(profile, "generic")]
    vocab: list[tuple[str, str]] = []
    for term in USAGES:
        printed = mapping.get(term.code, term.code)
        label = term.label if printed == term.code else printed
        if printed not in (p for p, _ in vocab):
            vocab.append((printed, label))
    return mapping, vocab


def party_line(p: Party) -> PartyLine:
    return PartyLine(
        role=p.role,
        role_label=label_of(ROLES, p.role),
        first_name=p.first_name.strip(),
        last_name=p.last_name.strip(),
        company=p.company.strip(),
        pro=p.pro.strip(),
        ipi=p.ipi.strip(),
        share=p.share,
    )


def build(sheet: CueSheet, options: ExportOptions | None = None) -> ExportData:
    """Apply the options to the sheet: the one source of every exported number."""
    options = options or ExportOptions.from_dict(sheet.export_options)
    rounding = tc.Rounding(options.rounding)
    exact_times = rounding is tc.Rounding.EXACT
    mapping, vocab = usage_vocabulary(options.profile)
    cues = sorted(
        (c for c in sheet.cues if c.active or options.include_inactive),
        key=lambda c: (c.start, c.end, c.seq, c.id),
    )
    rows: list[CueRow] = []
    next_seq = 0
    for cue in cues:
        if options.relative_to == "media":
            t_in, t_out = sheet.seconds(cue.start), sheet.seconds(cue.end)
        else:
            t_in, t_out = sheet.program_seconds(cue.start), sheet.program_seconds(cue.end)
        if cue.active:
            next_seq += 1
        seq = cue.seq if cue.seq and cue.active else (next_seq if cue.active else 0)
        # writers first, then publishers, each in the order the user gave
        parties = [party_line(p) for p in cue.parties if p.is_writer]
        parties += [party_line(p) for p in cue.parties if not p.is_writer]
        rows.append(
            CueRow(
                cue=cue,
                seq=seq,
                usage=mapping.get(cue.usage, cue.usage),
                time_in=Time(t_in, exact_times),
                time_out=Time(t_out, exact_times),
                duration=tc.round_seconds(sheet.seconds(max(0, cue.duration)), rounding),
                rounding=rounding,
                parties=parties,
            )
        )
    active_rows = [r for r in rows if r.active]
    total = sum((r.duration for r in active_rows), Fraction(0))

    by_usage: dict[str, Total] = {}
    by_origin: dict[str, Total] = {}
    vocab_labels = dict(vocab)
    for r in active_rows:
        u = by_usage.setdefault(r.usage, Total(vocab_labels.get(r.usage, r.usage)))
        o = by_origin.setdefault(r.cue.origin, Total(label_of(ORIGINS, r.cue.origin)))
        for t in (u, o):
            t.count += 1
            t.seconds += r.duration
    used = {r.usage for r in rows}
    legend = [(code, label) for code, label in vocab if code in used]
    legend += [(code, code) for code in sorted(used - {c for c, _ in vocab})]

    profile = options.profile if options.profile in PROFILES else "generic"
    return ExportData(
        header=sheet.header,
        options=options,
        rows=rows,
        total_music=total,
        program_duration=sheet.seconds(sheet.header.program_duration),
        findings=validate(sheet, profile),
        usage_vocabulary=vocab,
        usage_legend=legend,
        by_usage=[by_usage[k] for k in sorted(by_usage, key=lambda k: (-by_usage[k].seconds, k))],
        by_origin=[by_origin[k] for k in sorted(by_origin, key=lambda k: (-by_origin[k].seconds, k))],
        changes=revision_changes(sheet),
    )


def revision_changes(sheet: CueSheet) -> list[str]:
    """What a revised sheet changed since the version it revises, as lines (empty otherwise)."""
    if sheet.previous is None or sheet.header.classification != "Revised":
        return []
    prev = sheet.previous.header.revision_number
    head = f"Changes since {'the original' if not prev else f'revision {prev}'}"
    return [head, *describe(diff_sheets(sheet.previous, sheet))]


def role_codes() -> list[str]:
    return [t.code for t in ROLES]
