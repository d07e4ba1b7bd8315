"""Which clips of an edit list are music: rules as data, each decision with the rule that made it.

Editors name music tracks (MX, MUSIC, SCORE, SONG) and dialogue/effects tracks (DX, FX, ...);
library music keeps its catalogue code in the file name (``APM_ABC123_01``,
``mx_BMGPM_IATS021_5``). The rules are kept as data (``MusicRules.to_dict``) so a user can
edit the words and the catalogue-code patterns in settings, and the preview shows, per clip,
which rule decided. Resolution in the reference library or the rights catalogue is done by a
``Resolver`` the caller passes (services/ knows the library and catalogue; domain/ does not).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cuesheet_app.domain.edit_clips import EditClip, EditList, EditTrack, clean_clip_name, file_stem

MUSIC_WORDS = ("MX", "MUSIC", "SCORE", "SONG", "SONGS", "MUS")
EXCLUDED_WORDS = ("DX", "DIA", "DIAL", "DIALOG", "DIALOGUE", "FX", "SFX", "AMB", "AMBS", "VO", "BG", "BGS",
                  "FOLEY", "ADR", "PFX", "NAR")
# Library codes in clip and file names: <LIBRARY>_<ALBUM CODE>_<TRACK>. Named groups: library,
# catalogue, track. ``label`` is what the preview shows. Editable in settings.
DEFAULT_PATTERNS: tuple[dict[str, str], ...] = (
    {"label": "APM", "regex": r"(?P<library>APM)_(?P<catalogue>[A-Z]{2,6}\d{2,5})_(?P<track>\d{1,3})"},
    {"label": "BMG Production Music",
     "regex": r"(?P<library>BMGPM)_(?P<catalogue>[A-Z]{2,6}\d{2,5})_(?P<track>\d{1,3})"},
    {"label": "Extreme / Universal / Sonoton style",
     "regex": r"(?P<library>EXT|UPM|SON|KPM|BR|CHAPPELL|WCM|AUDIONETWORK|AN)_(?P<catalogue>[A-Z]{2,6}\d{2,5})_(?P<track>\d{1,3})"},
)
ISRC_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{2}-?[A-Z0-9]{3}-?\d{2}-?\d{5})(?![A-Z0-9])")


class RulesError(ValueError):
    """A rule a user typed that cannot work (a catalogue pattern that is not a regular expression)."""


@dataclass(frozen=True)
class CatalogueCode:
    library: str
    catalogue: str
    track: str
    pattern: str  # label of the pattern that found it
    text: str  # the matched text


@dataclass(frozen=True)
class Resolution:
    """What a resolver found for a clip: enough to title the cue and find its rights."""

    how: str  # "library file name", "catalogue ISRC", "catalogue code APM", ...
    title: str = ""
    library: str = ""
    catalogue_number: str = ""
    track_number: str = ""
    isrc: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    known: bool = True  # False: only a name pattern matched; nobody holds its rights yet


Resolver = Callable[[EditClip], "Resolution | None"]


@dataclass(frozen=True)
class Decision:
    clip: EditClip
    music: bool
    rule: str  # the rule that decided, in words a user reads in the preview
    resolution: Resolution | None = None


@dataclass
class MusicRules:
    music_words: tuple[str, ...] = MUSIC_WORDS
    excluded_words: tuple[str, ...] = EXCLUDED_WORDS
    patterns: tuple[dict[str, str], ...] = DEFAULT_PATTERNS
    music_only: bool | None = None  # None: the format's default (True for CMX 3600 EDLs)
    bridge_gap_frames: int = 12  # same piece, gap up to this many frames -> one cue
    majority: float = 0.5  # unnamed track: music when more than this share of clips resolve

    def __post_init__(self) -> None:
        self._compiled: list[tuple[str, re.Pattern[str]]] = []
        for p in self.patterns:
            try:
                self._compiled.append((p.get("label") or p["regex"], re.compile(p["regex"], re.IGNORECASE)))
            except (re.error, KeyError) as exc:
                raise RulesError(f"Catalogue pattern {p.get('label') or p.get('regex')!r} is not usable: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        return {"music_words": list(self.music_words), "excluded_words": list(self.excluded_words),
                "patterns": [dict(p) for p in self.patterns], "music_only": self.music_only,
                "bridge_gap_frames": self.bridge_gap_frames, "majority": self.majority}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> MusicRules:
        """Missing keys take defaults; a bad pattern raises ``RulesError`` (the settings dialog says which)."""
        d = d or {}
        base = cls()
        return cls(
            music_words=tuple(str(w).upper() for w in d.get("music_words", base.music_words)),
            excluded_words=tuple(str(w).upper() for w in d.get("excluded_words", base.excluded_words)),
            patterns=tuple(dict(p) for p in d.get("patterns", base.patterns)),
            music_only=d.get("music_only", base.music_only),
            bridge_gap_frames=int(d.get("bridge_gap_frames", base.bridge_gap_frames)),
            majority=float(d.get("majority", base.majority)),
        )

    # --- words ------------------------------------------------------------
    def word_in(self, text: str, words: tuple[str, ...]) -> str:
        """The first of ``words`` standing alone in ``text`` (``MX 1``, ``A3_SFX``, ``Music``), or ''."""
        tokens = [t for t in re.split(r"[^A-Z]+", text.upper()) if t]
        for word in words:
            if word in tokens:
                return word
        return ""

    def prefix_in(self, name: str, words: tuple[str, ...]) -> str:
        """``SFX_door slam``, ``DX-12``, ``vo take 3``: a clip name starting with an excluded word."""
        m = re.match(r"\s*([A-Za-z]+)(?![a-z])", name)
        if not m:
            return ""
        head = m.group(1).upper()
        return head if head in words else ""

    def catalogue_code(self, text: str) -> CatalogueCode | None:
        for label, rx in self._compiled:
            m = rx.search(text)
            if m:
                g = m.groupdict()
                return CatalogueCode(library=(g.get("library") or "").upper(),
                                     catalogue=(g.get("catalogue") or "").upper(),
                                     track=g.get("track") or "", pattern=label, text=m.group(0))
        return None


def find_isrc(text: str) -> str:
    m = ISRC_RE.search(text.upper())
    return m.group(1).replace("-", "") if m else ""


def pattern_resolution(rules: MusicRules, clip: EditClip) -> Resolution | None:
    """A catalogue code in the file name, clip name or reel: music even when nothing else knows it."""
    for text in (file_stem(clip.source_file), clip.name, clip.reel):
        code = rules.catalogue_code(text) if text else None
        if code:
            rest = clean_clip_name(text.replace(code.text, " ")) if text is not clip.reel else ""
            rest = re.sub(r"^[\s_\-]*(MX|MUSIC)?[\s_\-]+|[\s_\-]+$", "", rest, flags=re.IGNORECASE)
            return Resolution(how=f"catalogue code {code.text} ({code.pattern})", title=rest.replace("_", " "),
                              library=code.library, catalogue_number=code.catalogue, track_number=code.track,
                              known=False)
    return None


def decide(edit: EditList, rules: MusicRules, resolve: Resolver | None = None) -> list[Decision]:
    """One decision per audio clip, in track then time order. Order of rules (first wins):
    muted, excluded track, excluded clip prefix, resolved source, music track name,
    music-only edit list, unnamed track mostly music, otherwise not music."""
    music_only = edit.music_only if rules.music_only is None else rules.music_only
    out: list[Decision] = []
    for track in edit.audio_tracks():
        resolved = [(clip, _resolve(rules, clip, resolve)) for clip in track.clips]
        share = (sum(1 for _, r in resolved if r) / len(resolved)) if resolved else 0.0
        for clip, res in resolved:
            out.append(_decide_clip(track, clip, res, rules, music_only, share))
    return out


def _resolve(rules: MusicRules, clip: EditClip, resolve: Resolver | None) -> Resolution | None:
    found = resolve(clip) if resolve else None
    return found or pattern_resolution(rules, clip)


def _decide_clip(track: EditTrack, clip: EditClip, res: Resolution | None, rules: MusicRules,
                 music_only: bool, share: float) -> Decision:
    if clip.muted or track.muted:
        return Decision(clip, False, "muted" + (" track" if track.muted else " clip"), res)
    word = rules.word_in(track.name, rules.excluded_words) if track.named else ""
    if word:
        return Decision(clip, False, f"track {track.name!r} is {word}: never a cue", res)
    for text in (clip.name, file_stem(clip.source_file)):
        prefix = rules.prefix_in(text, rules.excluded_words) if text else ""
        if prefix:
            return Decision(clip, False, f"clip name starts with {prefix}: never a cue", res)
    if res is not None:
        return Decision(clip, True, f"source found: {res.how}", res)
    word = rules.word_in(track.name, rules.music_words) if track.named else ""
    if word:
        return Decision(clip, True, f"music track {track.name!r} ({word})", res)
    if music_only:
        return Decision(clip, True, "music-only edit list: every clip is a cue", res)
    if not track.named and share > rules.majority:
        return Decision(clip, True, f"track names lost: {share:.0%} of {track.name}'s clips are music", res)
    return Decision(clip, False, "not music: not a music track and the source is not in the library or catalogue", res)


def display_title(clip: EditClip) -> str:
    """A title for music nobody resolved: the clip name as an editor would read it."""
    name = clean_clip_name(clip.name) or file_stem(clip.source_file) or clip.reel
    name = re.sub(r"^(MX|MUSIC)[\s_\-]+", "", name, flags=re.IGNORECASE)
    return name.replace("_", " ").strip() or "Untitled music"
