"""The first-run demo: a small library and an episode made on this machine, identified end to end.

Why generated, not shipped: no media with unclear rights in the repository and no
download at first run. Everything is synthesized with numpy (music) and, where
installed, espeak-ng (dialogue), then run through the same path a user's work
takes: index the library with its rights sheet, identify the episode with the
local engine, build the project and save it. The demo keeps its own library
folder, so the user's library is never touched.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cuesheet_app.domain.identifiers import iswc_check_digit
from cuesheet_app.domain.model import CueSheet
from cuesheet_app.identify.base import (
    CancelToken,
    IdentifyRequest,
    Progress,
    ProgressCallback,
    ignore_progress,
)
from cuesheet_app.services.projects import add_engine_results, new_sheet_for_media
from cuesheet_app.settings import paths
from cuesheet_app.settings.store import Settings
from cuesheet_app.storage import project_file
from cuesheet_app.storage.atomic import atomic_write_bytes

RATE = 22050
DEMO_PROJECT = "Harbour Lights - Episode 101.cuesheet"


@dataclass(frozen=True)
class DemoTrack:
    file: str
    title: str
    seed: int
    tempo: float
    scale: tuple[int, ...]
    composers: str
    publishers: str
    catalogue: str


TRACKS = (
    DemoTrack("harbour_lights_main_title.wav", "Harbour Lights (Main Title)", 11, 2.2, (0, 2, 4, 7, 9),
              "Jane Doe [ASCAP] [00012345678] 50%; John Roe [BMI] [00098765432] 50%",
              "Tidewater Music [ASCAP] [00123456789] 50%; Northlight Songs [BMI] [00234567890] 50%", "DEMO 001"),
    DemoTrack("night_ferry.wav", "Night Ferry", 23, 1.6, (0, 3, 5, 7, 10),
              "Mara Quinn [PRS] [00345678901] 100%", "Quayside Library Music [PRS] [00456789012] 100%",
              "DEMO 002"),
    DemoTrack("salt_and_wire.wav", "Salt and Wire", 37, 3.0, (0, 2, 3, 5, 7, 8, 10),
              "Jane Doe [ASCAP] [00012345678] 100%", "Tidewater Music [ASCAP] [00123456789] 100%", "DEMO 003"),
    DemoTrack("lantern_walk.wav", "Lantern Walk", 41, 2.6, (0, 2, 4, 5, 7, 9, 11),
              "Oskar Lind [STIM] [00567890123] 60%; Ana Ruiz [SGAE] [00678901234] 40%",
              "Quayside Library Music [PRS] [00456789012] 100%", "DEMO 004"),
)
TRACK_SECONDS = 40.0
SPEECH = (
    "Previously on Harbour Lights. The ferry is late again, and nobody knows why.",
    "I checked the manifest twice. There is a crate that should not be on board.",
    "Then we open it tonight, before the harbour master comes back.",
    "You hear that? Someone is playing a radio down on the pier.",
    "Keep your voice down. We meet at the lantern at midnight.",
)


@dataclass
class DemoResult:
    project_path: Path
    episode_path: Path
    library_dir: Path
    sheet: CueSheet
    with_speech: bool


# --- synthesis -------------------------------------------------------------------------------
def synth_music(seconds: float, seed: int, tempo: float, scale: tuple[int, ...], rate: int = RATE) -> np.ndarray:
    """A recognisable little piece: melody over a bass line and chords, with a soft beat."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n)
    step = 1.0 / tempo
    root = 45 + int(rng.integers(0, 8))
    beats = int(np.ceil(seconds / step))
    chord_degrees = rng.integers(0, len(scale), size=(beats + 3) // 4)
    for i in range(beats):
        a = int(i * step * rate)
        b = min(n, int((i + 1) * step * rate))
        t = np.arange(b - a) / rate
        env = np.exp(-t * 3.0)
        degree = scale[int(rng.integers(0, len(scale)))]
        octave = 12 * int(rng.integers(1, 3))
        for midi, gain, decay in ((root + octave + degree + 12, 0.30, 3.0),
                                  (root + scale[chord_degrees[i // 4]], 0.22, 1.2),
                                  (root + scale[chord_degrees[i // 4]] + 7, 0.12, 1.2)):
            f = 440.0 * 2 ** ((midi - 69) / 12)
            out[a:b] += gain * np.exp(-t * decay) * (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t))
        click = rng.standard_normal(min(b - a, int(0.03 * rate))) * 0.08
        out[a:a + len(click)] += click * env[: len(click)]
    fade = int(0.05 * rate)
    out[:fade] *= np.linspace(0, 1, fade)
    out[-fade:] *= np.linspace(1, 0, fade)
    return 0.6 * out / max(1e-9, float(np.abs(out).max()))


def synth_speech(sentences: tuple[str, ...], workdir: Path, rate: int = RATE) -> np.ndarray | None:
    """Dialogue from espeak-ng (None where it is not installed: the demo then has no dialogue)."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        return None
    parts = []
    for i, text in enumerate(sentences):
        wav = workdir / f"line{i}.wav"
        try:
            subprocess.run([exe, "-s", "150", "-p", str(35 + 10 * (i % 2)), "-w", str(wav), text],
                           check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return None
        with wave.open(str(wav), "rb") as w:
            src = w.getframerate()
            raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768
        m = int(len(raw) * rate / src)
        parts.append(np.interp(np.linspace(0, len(raw) - 1, m), np.arange(len(raw)), raw))
        parts.append(np.zeros(int(0.4 * rate)))
    speech = np.concatenate(parts)
    return 0.7 * speech / max(1e-9, float(np.abs(speech).max()))


def _fit(signal: np.ndarray, seconds: float, rate: int = RATE) -> np.ndarray:
    n = int(seconds * rate)
    if len(signal) >= n:
        return signal[:n]
    return np.concatenate([signal, np.zeros(n - len(signal))])


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    atomic_write_bytes(path, buf.getvalue())
    return path


def build_episode(tracks: dict[str, np.ndarray], speech: np.ndarray | None, rate: int = RATE) -> np.ndarray:
    """About 100 s: dialogue, library cues in the clear and under dialogue, a non-library piece."""
    def talk(seconds: float, offset: float) -> np.ndarray:
        if speech is None:
            return np.zeros(int(seconds * rate))
        start = int(offset * rate) % max(1, len(speech))
        return _fit(np.roll(speech, -start), seconds, rate)

    def cue(name: str, start: float, seconds: float) -> np.ndarray:
        return _fit(tracks[name][int(start * rate):], seconds, rate)

    stranger = synth_music(16.0, seed=97, tempo=1.9, scale=(0, 1, 4, 5, 7, 8, 10))
    sections = [
        talk(6.0, 0.0),
        cue("harbour_lights_main_title.wav", 2.0, 18.0),
        talk(7.0, 6.0),
        cue("night_ferry.wav", 5.0, 20.0) * 0.7 + talk(20.0, 13.0) * 0.6,  # music under dialogue
        talk(5.0, 2.0),
        stranger,
        talk(5.0, 20.0),
        cue("salt_and_wire.wav", 10.0, 12.0),
        cue("lantern_walk.wav", 0.0, 14.0),
    ]
    episode = np.concatenate(sections)
    room = np.random.default_rng(5).standard_normal(len(episode)) * 0.003
    return episode + room


def metadata_csv(path: Path) -> Path:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["file", "title", "artists", "album", "label", "release_date", "isrc", "iswc", "library",
                "catalogue_number", "track_number", "composers", "publishers"])
    for n, t in enumerate(TRACKS, 1):
        nine = f"{900000000 + n * 1111:09d}"
        iswc = f"T-{nine[:3]}.{nine[3:6]}.{nine[6:]}-{iswc_check_digit(nine)}"
        w.writerow([t.file, t.title, "Quayside Ensemble", "Harbour Lights Score", "Quayside Library Music",
                    "2026-01-15", f"QZDEM26{n:05d}", iswc, "Quayside Demo Library", t.catalogue, str(n),
                    t.composers, t.publishers])
    atomic_write_bytes(path, out.getvalue().encode("utf-8"))
    return path


# --- the whole demo ---------------------------------------------------------------------------
def build_demo(settings: Settings, progress: ProgressCallback = ignore_progress,
               cancel: CancelToken | None = None, folder: Path | None = None,
               engine_factory: Callable[[Settings, Path], object] | None = None) -> DemoResult:
    """Generate, index, identify, save; returns where everything is. Safe to run again."""
    cancel = cancel or CancelToken()
    root = paths.ensure(folder or paths.demo_dir())
    music_dir = paths.ensure(root / "library-music")
    library_dir = root / "library"
    progress(Progress("Composing demo music", 0.0))
    tracks = {}
    for i, t in enumerate(TRACKS):
        cancel.raise_if_cancelled()
        tracks[t.file] = synth_music(TRACK_SECONDS, t.seed, t.tempo, t.scale)
        write_wav(music_dir / t.file, tracks[t.file])
        progress(Progress("Composing demo music", (i + 1) / len(TRACKS)))
    sheet_path = metadata_csv(root / "library-metadata.csv")
    progress(Progress("Recording dialogue", None))
    with tempfile.TemporaryDirectory() as tmp:
        speech = synth_speech(SPEECH, Path(tmp))
    episode_path = write_wav(paths.ensure(root / "episodes") / "harbour_lights_101.wav",
                             build_episode(tracks, speech))
    cancel.raise_if_cancelled()

    from cuesheet_app.identify.local.library import Library

    Library(library_dir).add([music_dir], metadata=sheet_path, progress=_phase(progress, "Indexing demo library"),
                             cancel=cancel, workers=1)
    cancel.raise_if_cancelled()
    if engine_factory is not None:
        engine = engine_factory(settings, library_dir)
    else:
        from cuesheet_app.identify.registry import create_engine

        engine = create_engine("local", settings, library_dir=library_dir)
    doc = engine.identify(IdentifyRequest(media_path=episode_path), progress, cancel)  # type: ignore[attr-defined]
    sheet = new_sheet_for_media(episode_path, settings)
    h = sheet.header
    h.program_title = "Harbour Lights"
    h.episode_title = "The Late Ferry"
    h.episode_number = "101"
    h.production_number = "HL-101"
    h.production_company = "Quayside Pictures Ltd"
    h.company_contact = "1 Harbour Road, Port Example"
    h.network = "Demo Broadcasting"
    h.country_of_origin = "GB"
    h.notes = "Demo project generated on this computer: synthesized music and espeak-ng dialogue."
    add_engine_results(sheet, doc, "local", settings)
    project_path = root / DEMO_PROJECT
    project_file.save(sheet, project_path)
    progress(Progress("Demo ready", 1.0))
    return DemoResult(project_path, episode_path, library_dir, sheet, speech is not None)


def _phase(progress: ProgressCallback, name: str) -> ProgressCallback:
    """Report a sub-task's progress under one phase name the user understands."""
    return lambda p: progress(Progress(name, p.fraction, p.detail))
