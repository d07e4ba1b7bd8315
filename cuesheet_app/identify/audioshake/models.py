"""What AudioShake's ``GET /models`` says about a model, and what follows from it for one upload.

The documented answer is a ``{"models": [...]}`` envelope; each model has ``id`` (the value to
pass as ``model`` in Create Task), ``name`` (a human label such as "Music Identification"),
``category``, ``description``, ``access`` (``enabled``, or ``request_access`` for gated models,
which omit pricing), ``creditsPerMinute``, ``inputs`` (each with ``taskFields`` and
``formats: {"audio": [...], "video": [...]}``), ``outputFormats``, and, only when the model has
constraints, ``limits`` (e.g. ``maxInputDurationSeconds``) and ``supportedLanguages``.

Why the list matters beyond "is it enabled": it says which files go up unchanged, how long a
programme may be, and what a run will cost. A partner pays per minute, so the app shows the
estimate before anything is uploaded and refuses a programme the model cannot take *before*
spending the upload on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    """One entry of the model list, read defensively (every field may be missing)."""

    id: str
    name: str = ""
    category: str = ""
    description: str = ""
    access: str = "enabled"
    credits_per_minute: float | None = None
    input_formats: frozenset[str] | None = None  # file types accepted as is; None: not said
    task_fields: frozenset[str] = frozenset()
    output_formats: tuple[str, ...] = ()
    limits: Mapping[str, Any] = field(default_factory=dict)
    supported_languages: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.access == "enabled"

    @property
    def max_input_seconds(self) -> float | None:
        value = self.limits.get("maxInputDurationSeconds")
        return float(value) if _is_number(value) and value > 0 else None

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> ModelInfo | None:
        """None when the entry names no model at all."""
        ident = entry.get("id", entry.get("model"))
        if not isinstance(ident, str) or not ident.strip():
            # Older answers had no id and used the name as the identifier.
            ident = entry.get("name")
            if not isinstance(ident, str) or not ident.strip():
                return None
        formats: set[str] = set()
        fields: set[str] = set()
        said_formats = False
        inputs = entry.get("inputs")
        for item in inputs if isinstance(inputs, list) else []:
            if not isinstance(item, Mapping):
                continue
            fields.update(str(f) for f in _strings(item.get("taskFields")))
            by_kind = item.get("formats")
            if isinstance(by_kind, Mapping):
                said_formats = True
                for values in by_kind.values():
                    formats.update(f.lower().lstrip(".") for f in _strings(values))
        price = entry.get("creditsPerMinute")
        access = entry.get("access")
        limits = entry.get("limits")
        return cls(
            id=ident.strip(),
            name=_text(entry.get("name")),
            category=_text(entry.get("category")),
            description=_text(entry.get("description")),
            access=str(access) if access is not None else "enabled",
            credits_per_minute=float(price) if _is_number(price) and price >= 0 else None,
            input_formats=frozenset(formats) if said_formats and formats else None,
            task_fields=frozenset(fields),
            output_formats=tuple(_strings(entry.get("outputFormats"))),
            limits=dict(limits) if isinstance(limits, Mapping) else {},
            supported_languages=tuple(_strings(entry.get("supportedLanguages"))),
        )


def find_model(entries: Iterable[Mapping[str, Any]], model_id: str) -> ModelInfo | None:
    """The entry whose ``id`` is ``model_id``.

    ``id`` is the documented identifier; ``name`` is a label ("Music Identification") and is
    compared only for entries that carry no ``id`` (answers from before the documented shape).
    """
    fallback: ModelInfo | None = None
    for entry in entries:
        info = ModelInfo.from_json(entry)
        if info is None:
            continue
        if "id" in entry or "model" in entry:
            if info.id == model_id:
                return info
        elif info.id == model_id and fallback is None:
            fallback = info
    return fallback


@dataclass(frozen=True)
class FileCost:
    path: Path
    seconds: float

    @property
    def minutes(self) -> float:
        return self.seconds / 60.0


@dataclass(frozen=True)
class CostEstimate:
    """What a batch of uploads will cost at the account's rate (``None``: the list gave none)."""

    model: str
    credits_per_minute: float | None
    files: tuple[FileCost, ...]
    cached: tuple[Path, ...] = ()  # already identified: no upload, no cost

    @property
    def minutes(self) -> float:
        return sum(f.minutes for f in self.files)

    @property
    def credits(self) -> float | None:
        if self.credits_per_minute is None:
            return None
        return self.credits_per_minute * self.minutes

    def describe(self) -> str:
        """One sentence for a terminal or a dialog."""
        n = len(self.files)
        if n == 0:
            return f"Nothing to upload: all {len(self.cached)} file(s) have results already (no cost)."
        what = f"{n} file(s), {_duration(self.minutes * 60)} of audio"
        if self.cached:
            what += f" ({len(self.cached)} more already identified, no cost)"
        if self.credits is None:
            return f"Uploading {what} to AudioShake {self.model}; the model list gives no price for this account."
        rate = _number(self.credits_per_minute or 0)
        return (f"Estimated cost: {_number(self.credits)} credits for {what} "
                f"at {rate} credit(s) per minute ({self.model}).")


def limit_problem(model: ModelInfo, media_name: str, seconds: float) -> str | None:
    """Why the model cannot take this programme, or None."""
    limit = model.max_input_seconds
    if limit is not None and seconds > limit:
        return (f"{media_name} is {_duration(seconds)} long, and AudioShake's {model.id} takes at most "
                f"{_duration(limit)} (maxInputDurationSeconds {_number(limit)}). Nothing was uploaded: "
                "split the programme and identify the parts.")
    return None


def _duration(seconds: float) -> str:
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
