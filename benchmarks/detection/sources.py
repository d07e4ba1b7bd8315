"""Sound sources for the detection data: fetched from Debian with its ordinary client, or generated.

Everything here is grouped so that a whole group can be held out: speech by *synthesizer*
(espeak-ng, flite, festival, recorded human speech), noise by *kind* (eleven kinds), music by
*Debian package* (plus generated tonal pads and drones, which are hard). Licences:

| source | Debian package | licence |
| --- | --- | --- |
| espeak-ng voices | espeak-ng | GPL-3+ |
| flite voices (kal, kal16, awb, rms, slt) | flite | BSD-like (CMU) |
| festival + voices (kal, ked, slt HTS, Italian lp/pc, Finnish lj/mv) | festival, festvox-kallpc16k, festvox-kdlpc16k, festvox-us-slt-hts, festvox-italp16k, festvox-suopuhe-lj | MIT-like (festival), free per voice (see copyright files) |
| recorded speech ("Front left" ... ) | alsa-utils | GPL-2+ |
| recorded voice lines, footsteps, doors | openarena-data | GPL-2+ |
| music | see MUSIC_PACKAGES | GPL-2+, CC BY(-SA), freeware redistributable (see each copyright file) |

MBROLA voices are not in Debian main (bookworm) and are left out.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
import zipfile
from pathlib import Path

import numpy as np
from scipy.signal import fftconvolve, lfilter

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "benchmarks" / "data"
DEBS, PKGS = DATA / "debs", DATA / "pkgs"
RATE = 22050

SYNTH_PACKAGES = ["espeak-ng", "flite", "festival", "festvox-kallpc16k", "festvox-kdlpc16k",
                  "festvox-us-slt-hts", "festvox-italp16k", "festvox-suopuhe-lj"]
MUSIC_PACKAGES = ["drascula-music", "hyperrogue-music", "planetblupi-music-ogg", "singularity-music",
                  "wesnoth-1.16-music", "asc-music", "warzone2100-music"]
OTHER_PACKAGES = ["alsa-utils", "openarena-data"]
SYNTHS = ["espeak-ng", "flite", "festival", "recorded"]
NOISES = ["white", "pink", "brown", "hum", "room", "babble", "traffic", "rain", "wind", "applause",
          "impacts"]
MUSIC_GROUPS = MUSIC_PACKAGES + ["pads"]
TEXT = """Good evening and welcome to the programme. Tonight we travel along the northern coast,
where the fishing boats leave before dawn and come back with the tide. The harbour master has
kept the same logbook for thirty years. We spoke to the families who still live above the old quay.
In the spring the market fills with visitors, and the bakery on the corner sells out by nine.
The council wants to build a new road, but many people here are worried about the cliffs.
Scientists from the university have measured the erosion for a decade, and the numbers are clear.
The lifeboat crew trains every Thursday, in any weather, because somebody has to.
After the break we meet a teacher who has taught three generations of the same families.
Now the weather: rain in the west this evening, clearing overnight, with a cold start tomorrow.
Police are asking anyone who saw the accident on the bypass to come forward.
Shares fell sharply this morning after the bank warned of lower profits.
And finally, a dog in Yorkshire has learned to open the fridge, much to his owner's surprise.
""".replace("\n", " ").split(". ")


def fetch() -> None:
    """Install the synthesizers (benchmark-only) and unpack the sound packages under PKGS."""
    missing = [p for p in SYNTH_PACKAGES
               if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:
        print("apt-get install " + " ".join(missing), flush=True)
        subprocess.run(["apt-get", "install", "-y", *missing], check=True, capture_output=True)
    DEBS.mkdir(parents=True, exist_ok=True)
    for pkg in MUSIC_PACKAGES + OTHER_PACKAGES:
        target = PKGS / pkg
        if target.exists():
            continue
        if not list(DEBS.glob(f"{pkg}_*.deb")):
            print(f"apt-get download {pkg}", flush=True)
            subprocess.run(["apt-get", "download", pkg], cwd=DEBS, check=True, capture_output=True)
        deb = sorted(DEBS.glob(f"{pkg}_*.deb"))[-1]
        tmp = PKGS / f".{pkg}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        if subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)]).returncode != 0:  # a cut download
            deb.unlink()
            subprocess.run(["apt-get", "download", pkg], cwd=DEBS, check=True, capture_output=True)
            subprocess.run(["dpkg-deb", "-x", str(sorted(DEBS.glob(f"{pkg}_*.deb"))[-1]), str(tmp)], check=True)
        tmp.rename(target)


def resample(x: np.ndarray, factor: float) -> np.ndarray:
    """Varispeed by ``factor`` (>1 faster and higher), linear interpolation."""
    n = int(x.size / factor)
    return np.interp(np.linspace(0, x.size - 1, n), np.arange(x.size), x).astype(np.float32)


def read_wav(path: Path | str) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    else:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
    x = x.reshape(-1, ch).mean(axis=1)
    return resample(x, rate / RATE)


def _synth_one(synth: str, text: str, rng: np.random.Generator, tmp: Path) -> np.ndarray:
    if synth == "espeak-ng":
        voice = str(rng.choice(["en", "en-us", "en-gb-x-rp", "en-029", "de", "fr", "es", "it", "nl", "pt",
                                "pl", "sv"])) + str(rng.choice(["", "+m1", "+m3", "+m7", "+f1", "+f2", "+f4",
                                                                "+croak", "+klatt"]))
        cmd = ["espeak-ng", "-v", voice, "-s", str(int(rng.integers(130, 200))),
               "-p", str(int(rng.integers(20, 80))), "-w", str(tmp), text]
    elif synth == "flite":
        cmd = ["flite", "-voice", str(rng.choice(["kal", "kal16", "awb", "rms", "slt"])),
               "--setf", f"duration_stretch={rng.uniform(0.8, 1.25):.2f}",
               "--setf", f"int_f0_target_mean={rng.uniform(80, 220):.0f}", "-t", text, "-o", str(tmp)]
    else:
        voice = str(rng.choice(["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts", "lp_diphone",
                                "pc_diphone", "suo_fi_lj_diphone", "hy_fi_mv_diphone"]))
        txt = tmp.with_suffix(".txt")
        txt.write_text(text)
        cmd = ["text2wave", "-eval", f"(voice_{voice})", "-o", str(tmp), str(txt)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return read_wav(tmp)


def _recorded_clips() -> list[np.ndarray]:
    clips = [read_wav(p) for p in sorted((PKGS / "alsa-utils").rglob("*.wav")) if "Noise" not in p.name]
    pk3 = PKGS / "openarena-data/usr/share/games/openarena/missionpack/mp-pak0.pk3"
    with zipfile.ZipFile(pk3) as z:
        for name in sorted(z.namelist()):
            if name.startswith("sound/voices/rott/") and name.endswith(".wav"):
                tmp = DATA / "detection" / "rec.tmp.wav"
                tmp.write_bytes(z.read(name))
                clips.append(read_wav(tmp))
    return [c for c in clips if c.size > RATE // 4]


def speech_utterances(synth: str, n: int, seed: int) -> list[np.ndarray]:
    """``n`` utterances of one synthesizer group, many voices, speed and pitch varied."""
    rng = np.random.default_rng(seed)
    tmp = DATA / "detection" / f"{synth}.tmp.wav"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    out = []
    recorded = _recorded_clips() if synth == "recorded" else []
    for _ in range(n):
        if synth == "recorded":
            # a few voice lines in a row with natural gaps, like a short exchange
            parts = []
            for c in rng.choice(len(recorded), size=int(rng.integers(2, 5))):
                parts += [recorded[int(c)], np.zeros(int(rng.uniform(0.1, 0.5) * RATE), np.float32)]
            x = np.concatenate(parts)
        else:
            for _attempt in range(6):  # festival's diphone voices crash on some sentences
                try:
                    x = _synth_one(synth, ". ".join(rng.choice(TEXT, size=2)) + ".", rng, tmp)
                    break
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                    continue
            else:
                raise RuntimeError(f"{synth} failed six times in a row")
        x = resample(x, float(rng.uniform(0.88, 1.14)))  # speed and pitch together
        out.append((x / (rms(x[np.abs(x) > 1e-3]) + 1e-9)).astype(np.float32))
    tmp.unlink(missing_ok=True)
    return out


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12) if x.size else 1e-12


def _shaped(n: int, rng: np.random.Generator, slope_db_oct: float) -> np.ndarray:
    spec = np.fft.rfft(rng.normal(0, 1, n))
    f = np.maximum(np.arange(spec.size), 1.0)
    spec *= f ** (slope_db_oct / 6.02)
    return np.fft.irfft(spec, n)


def _biquad_lp(x: np.ndarray, fc: float, q: float = 0.707) -> np.ndarray:
    w = 2 * np.pi * fc / RATE
    a = np.sin(w) / (2 * q)
    b = np.array([(1 - np.cos(w)) / 2, 1 - np.cos(w), (1 - np.cos(w)) / 2])
    return lfilter(b, [1 + a, -2 * np.cos(w), 1 - a], x)


def _biquad_hp(x: np.ndarray, fc: float, q: float = 0.707) -> np.ndarray:
    w = 2 * np.pi * fc / RATE
    a = np.sin(w) / (2 * q)
    b = np.array([(1 + np.cos(w)) / 2, -(1 + np.cos(w)), (1 + np.cos(w)) / 2])
    return lfilter(b, [1 + a, -2 * np.cos(w), 1 - a], x)


def _bursts(n: int, rng: np.random.Generator, rate_hz: float, dur_s: tuple[float, float]) -> np.ndarray:
    """Poisson-timed short decaying noise bursts (rain drops, claps, steps)."""
    x = np.zeros(n)
    count = rng.poisson(rate_hz * n / RATE)
    starts = rng.integers(0, n, count)
    length = int(dur_s[1] * RATE)
    t = np.arange(length) / RATE
    for s in starts:
        tau = rng.uniform(*dur_s) / 4
        burst = rng.normal(0, 1, length) * np.exp(-t / tau) * rng.uniform(0.3, 1.0)
        e = min(n, s + length)
        x[s:e] += burst[:e - s]
    return x


def noise(kind: str, n: int, rng: np.random.Generator, babble_pool: list[np.ndarray]) -> np.ndarray:
    """``n`` samples of one noise kind at unit RMS (the caller sets the level)."""
    t = np.arange(n) / RATE
    if kind == "white":
        x = rng.normal(0, 1, n)
    elif kind == "pink":
        x = _shaped(n, rng, -3)
    elif kind == "brown":
        x = _biquad_hp(_shaped(n, rng, -6), 20)
    elif kind == "hum":
        x = _hum(t, rng, harmonics=int(rng.choice([7, 7, 12, 20]))) + rng.normal(0, 0.02, n)
    elif kind == "room":
        # room tone: shaped air noise, and in most rooms something tonal running: mains hum
        # through the desk, a fan or air-conditioning whine, a monitor's line whistle
        x = _biquad_lp(_shaped(n, rng, -4), rng.uniform(800, 3000)) + 0.1 * np.sin(2 * np.pi * 100 * t)
        tonal = rng.random()
        if tonal < 0.35:
            x = x + rng.uniform(0.2, 1.0) * _hum(t, rng, harmonics=int(rng.integers(3, 12)))
        elif tonal < 0.7:
            x = x + rng.uniform(0.1, 0.5) * _whine(t, rng)
    elif kind == "babble":
        x = np.zeros(n)
        for _ in range(int(rng.integers(6, 14))):
            u = np.concatenate([babble_pool[int(i)] for i in rng.choice(len(babble_pool), 8)])
            u = np.tile(u, n // u.size + 1)
            off = int(rng.integers(0, u.size - n + 1))
            x += u[off:off + n] * rng.uniform(0.5, 1.0)
        x = _biquad_lp(x, rng.uniform(2500, 5000))  # a room away
    elif kind == "traffic":
        f0 = rng.uniform(25, 60) * (1 + 0.15 * np.sin(2 * np.pi * t / rng.uniform(4, 12)))
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        engine = sum(np.sin(k * phase) / k for k in range(1, 6))
        swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / rng.uniform(5, 15) + rng.uniform(0, 6))
        x = _biquad_lp(_shaped(n, rng, -6), 400) / 10 + 0.5 * engine * swell
    elif kind == "rain":
        x = _biquad_hp(_bursts(n, rng, rng.uniform(200, 800), (0.002, 0.02)), 1000) + 0.3 * _shaped(n, rng, -3)
    elif kind == "wind":
        gust = np.interp(t, np.linspace(0, t[-1] + 1e-9, max(3, n // RATE)), rng.uniform(0.1, 1, max(3, n // RATE)))
        x = _biquad_lp(_shaped(n, rng, -3), rng.uniform(300, 1200), q=2.0) * gust
    elif kind == "applause":
        env = np.clip(np.interp(t, [0, 1, max(1.1, t[-1] - 1), max(1.2, t[-1])], [0, 1, 1, 0.3]), 0, 1)
        x = _biquad_hp(_bursts(n, rng, rng.uniform(150, 600), (0.005, 0.03)), 500) * env
    else:  # impacts: footsteps, door slams (recorded ones from openarena-data where present)
        x = 0.05 * _biquad_lp(_shaped(n, rng, -4), 2000)
        effects = _effects()
        pos = 0
        while pos < n:
            e = effects[int(rng.integers(len(effects)))] if effects else _bursts(RATE // 2, rng, 4, (0.05, 0.3))
            e = e / (np.abs(e).max() + 1e-9) * rng.uniform(0.3, 1.0)
            end = min(n, pos + e.size)
            x[pos:end] += e[:end - pos]
            pos = end + int(rng.uniform(0.2, 2.5) * RATE)
    x = np.asarray(x, np.float64)
    return (x / rms(x)).astype(np.float32)


def _hum(t: np.ndarray, rng: np.random.Generator, harmonics: int) -> np.ndarray:
    """Mains hum or buzz: a fixed comb on 50 or 60 Hz (a slow +-0.2 % drift of the grid), random
    harmonic amplitudes and phases; more harmonics is the buzz of a ground loop or a dimmer."""
    f0 = float(rng.choice([50.0, 60.0])) * (1 + 0.002 * np.sin(2 * np.pi * t / rng.uniform(20, 60)))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    return sum(np.sin(k * phase + rng.uniform(0, 6)) * rng.uniform(0.1, 1) / k**rng.uniform(0.5, 1.2)
               for k in range(1, harmonics + 1))


def _whine(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A fan or air-conditioning whine: one to three steady tones (blade-pass frequency and a
    couple of its multiples) at 150-1500 Hz with a little wobble, over their own band noise."""
    f = rng.uniform(150, 1500) * (1 + 0.003 * np.sin(2 * np.pi * t * rng.uniform(0.1, 1.0)))
    phase = 2 * np.pi * np.cumsum(f) / RATE
    return sum(np.sin(k * phase + rng.uniform(0, 6)) * rng.uniform(0.3, 1.0) / k
               for k in range(1, int(rng.integers(2, 4)) + 1))


_EFFECTS: list[np.ndarray] | None = None


def _effects() -> list[np.ndarray]:
    global _EFFECTS
    if _EFFECTS is None:
        _EFFECTS = []
        pk3 = PKGS / "openarena-data/usr/share/games/openarena/baseoa/pak0.pk3"
        if pk3.exists():
            with zipfile.ZipFile(pk3) as z:
                for name in sorted(z.namelist()):
                    if name.endswith(".wav") and ("footsteps" in name or "movers/doors" in name):
                        tmp = DATA / "detection" / "fx.tmp.wav"
                        tmp.write_bytes(z.read(name))
                        _EFFECTS.append(read_wav(tmp))
    return _EFFECTS


def music_tracks(group: str) -> list[Path]:
    root = PKGS / group
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".ogg", ".opus", ".mp3", ".flac", ".wav")
                  and p.stat().st_size > 200_000)


def pad(n: int, rng: np.random.Generator) -> np.ndarray:
    """Tonal pads and drones: slow chords of detuned partials, filter swell, no rhythm at all."""
    t = np.arange(n) / RATE
    x = np.zeros(n)
    root = rng.uniform(55, 220)
    drone = rng.random() < 0.4
    seg = int(rng.uniform(4, 9) * RATE)
    chords = [[0, 4, 7], [0, 3, 7], [0, 5, 9], [-2, 2, 5], [0, 4, 7, 11]]
    for s in range(0, n, seg):
        e = min(n, s + seg)
        notes = [0, 7, 12] if drone else chords[int(rng.integers(len(chords)))]
        for semi in notes:
            f = root * 2 ** ((semi + 12 * int(rng.integers(0, 2))) / 12)
            for det in (-0.3, 0.0, 0.3) if not drone else (0.0,):
                for h in range(1, 6):
                    x[s:e] += np.sin(2 * np.pi * (f + det) * h * t[s:e] + rng.uniform(0, 6)) / h**1.5
        ramp = min(e - s, int(0.8 * RATE))
        x[s:s + ramp] *= np.linspace(0.2, 1, ramp)
    x *= 0.7 + 0.3 * np.sin(2 * np.pi * t / rng.uniform(3, 10))
    return (x / rms(x)).astype(np.float32)


def reverb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rt60 = rng.uniform(0.2, 1.2)
    t = np.arange(int(rt60 * RATE)) / RATE
    ir = rng.normal(0, 1, t.size) * np.exp(-6.9 * t / rt60)
    ir = ir / np.sqrt(np.sum(ir**2))
    wet = fftconvolve(x, ir)[: x.size]
    mix = rng.uniform(0.1, 0.4)
    return ((1 - mix) * x + mix * wet).astype(np.float32)
