"""What the catalogue holds, as plain dataclasses (no SQL outside catalogue.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cuesheet_app.domain.model import Party


@dataclass
class DirectoryParty:
    """One person or company in the party directory: names are picked, not retyped."""

    id: int = 0
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    pro: str = ""
    ipi: str = ""
    uses: int = 0  # how many work credits point at this party

    @property
    def display_name(self) -> str:
        if self.company:
            return self.company
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def as_party(self, role: str) -> Party:
        return Party(role=role, first_name=self.first_name, last_name=self.last_name,
                     company=self.company, pro=self.pro, ipi=self.ipi)


@dataclass
class Work:
    """A composition: the thing writers and publishers own."""

    id: int = 0
    title: str = ""
    iswc: str = ""
    alt_titles: list[str] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    notes: str = ""
    version: int = 0  # the row version read; 0 for a new work (saves check it: no lost updates)
    updated_by: str = ""
    updated_at: str = ""  # UTC, "YYYY-MM-DD HH:MM:SS"


@dataclass
class Recording:
    """A recorded version of a work: what engines identify."""

    id: int = 0
    work_id: int | None = None
    isrc: str = ""
    title: str = ""
    artists: list[str] = field(default_factory=list)
    album: str = ""
    label: str = ""
    release_date: str = ""
    library: str = ""
    catalogue_number: str = ""
    track_number: str = ""
    duration_s: str = ""  # exact seconds as text, like the project file
    source_file: str = ""
    version: int = 0
    updated_by: str = ""
    updated_at: str = ""


RECORDING_FIELDS = ("isrc", "title", "artists", "album", "label", "release_date", "library",
                    "catalogue_number", "track_number", "duration_s", "source_file")


@dataclass
class SearchHit:
    """One row of a catalogue search: a recording with its work, or a work without recordings."""

    work: Work | None
    recording: Recording | None

    @property
    def title(self) -> str:
        if self.recording and self.recording.title:
            return self.recording.title
        return self.work.title if self.work else ""
