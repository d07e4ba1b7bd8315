"""Format name -> writer. Add an exporter by adding a module with
``write(sheet, path, options) -> None`` and a line here."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from cuesheet_app.domain.model import CueSheet
from cuesheet_app.export.options import ExportOptions

FORMATS: dict[str, tuple[str, str]] = {
    # name: (module, file suffix)
    "xlsx": ("cuesheet_app.export.xlsx", ".xlsx"),
    "pdf": ("cuesheet_app.export.pdf", ".pdf"),
    "csv": ("cuesheet_app.export.csv_export", ".csv"),
}


class ExportError(Exception):
    """Export failed; any previous file at the target path is intact."""


def export(sheet: CueSheet, fmt: str, path: str | Path, options: ExportOptions | None = None) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    module_name, _suffix = FORMATS[fmt]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ExportError(f"The {fmt} exporter is not available ({exc})") from None
    module.write(sheet, Path(path), options or ExportOptions.from_dict(sheet.export_options))


def available_formats() -> list[str]:
    out = []
    for name, (module_name, _) in FORMATS.items():
        if importlib.util.find_spec(module_name) is not None:
            out.append(name)
    return out
