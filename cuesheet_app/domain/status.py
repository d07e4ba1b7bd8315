"""A sheet's life: draft → ready for review → submitted; reopening a submitted sheet revises it.

Soundmouse locks a submitted sheet until it is rejected; here a submitted sheet is read-only in
the GUI until someone reopens it, and reopening starts a new revision (the submitted version
is kept as ``previous``, so the revised PDF can list what changed since the network got it).
"""

from __future__ import annotations

import datetime as dt

from cuesheet_app.domain.model import CueSheet, ProductionHeader
from cuesheet_app.domain.vocab import STATUS_LABELS


class StatusError(ValueError):
    """A status change that makes no sense (unknown status, reopening a draft)."""


def status_label(header: ProductionHeader) -> str:
    return STATUS_LABELS.get(header.status, header.status or "Draft")


def status_line(header: ProductionHeader) -> str:
    """"Submitted 2026-12-01": what the PDF and the xlsx print."""
    label = status_label(header)
    return f"{label} {header.status_date}".strip()


def set_status(sheet: CueSheet, status: str, today: dt.date | None = None) -> None:
    if status not in STATUS_LABELS:
        raise StatusError(f"Unknown status {status!r}; choose one of: {', '.join(STATUS_LABELS)}")
    if sheet.submitted and status != "submitted":
        raise StatusError("The sheet is submitted; reopen it to change it (that starts a revision)")
    sheet.header.status = status
    sheet.header.status_date = (today or dt.date.today()).isoformat()


def start_revision(sheet: CueSheet, today: dt.date | None = None) -> None:
    """The current version becomes ``previous``; the sheet is Revised, one number up, a draft."""
    sheet.previous = sheet.snapshot_for_revision()
    h = sheet.header
    h.revision_number = int(h.revision_number or 0) + 1
    h.classification = "Revised"
    h.status = "draft"
    day = (today or dt.date.today()).isoformat()
    h.status_date = day
    h.date_prepared = day


def reopen(sheet: CueSheet, today: dt.date | None = None) -> None:
    """Unlock a submitted sheet for changes, as its next revision."""
    if not sheet.submitted:
        raise StatusError("Only a submitted sheet is reopened; this one can be edited as it is")
    start_revision(sheet, today)
