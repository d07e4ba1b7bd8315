"""Export choices a user makes; remembered per project in ``CueSheet.export_options``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from cuesheet_app.domain.timecode import Rounding


@dataclass
class ExportOptions:
    rounding: Rounding = Rounding.NEAREST
    relative_to: str = "program"  # "program" (PRO convention) or "media"
    include_inactive: bool = False
    profile: str = "generic"
    paper_size: str = "A4"  # or "Letter"
    orientation: str = "landscape"  # or "portrait"
    csv_variant: str = "cues"  # "cues" (one row per cue) or "parties" (one row per party)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rounding"] = self.rounding.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> ExportOptions:
        d = dict(d or {})
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in names}
        if "rounding" in kwargs:
            try:
                kwargs["rounding"] = Rounding(kwargs["rounding"])
            except ValueError:
                kwargs.pop("rounding")
        return cls(**kwargs)
