"""A compact print of a whole episode's audio, to find the same (unidentified) music in a re-cut.

A re-cut re-uses the programme's own mix, so the question is not "which library track is
this" (the landmark engine answers that) but "where did these seconds of *this* audio go".
Band-energy-difference bits (one 32-bit word per 23 ms hop, the classic Haitsma–Kalker
construction) answer it cheaply: identical audio, even re-encoded, gives mostly identical
words, so a few exact word matches vote for a shift and the bit error rate over the overlap
confirms it. 60 minutes of audio is about 155,000 words (620 kB).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cuesheet_app.domain.progress import CancelToken
from cuesheet_app.media.decode import ANALYSIS_RATE, decode_blocks

FRAME = 2048  # 186 ms at 11,025 Hz
HOP = 256  # 23.2 ms
HOP_S = HOP / ANALYSIS_RATE
N_BANDS = 33  # 32 bits from 33 bands
F_LO, F_HI = 300.0, 3000.0
MAX_BER = 0.30  # unrelated audio sits near 0.5; the same audio re-encoded well under 0.2
MIN_OVERLAP_S = 3.0


def _band_edges() -> np.ndarray:
    freqs = np.geomspace(F_LO, F_HI, N_BANDS + 1)
    return np.round(freqs / ANALYSIS_RATE * FRAME).astype(int)


def _words(samples: np.ndarray, prev_energy: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    n = (samples.size - FRAME) // HOP + 1
    if n <= 0:
        return np.zeros(0, np.uint32), prev_energy
    idx = np.arange(FRAME)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(samples[idx] * np.hanning(FRAME)[None, :], axis=1)) ** 2
    edges = _band_edges()
    energy = np.stack([spec[:, a:max(b, a + 1)].sum(axis=1) for a, b in zip(edges[:-1], edges[1:], strict=True)],
                      axis=1)
    diff = energy[:, :-1] - energy[:, 1:]
    before = np.vstack([prev_energy[None, :] if prev_energy is not None else diff[:1], diff[:-1]])
    bits = (diff - before) > 0
    words = (bits.astype(np.uint64) << np.arange(32, dtype=np.uint64)[None, :]).sum(axis=1).astype(np.uint32)
    return words, diff[-1]


def episode_print(path: str | os.PathLike[str], audio_stream: int | None = None,
                  cancel: CancelToken | None = None,
                  spans: Sequence[tuple[float, float]] | None = None) -> np.ndarray:
    """Print words for the whole file; word ``i`` covers the audio from ``i * HOP_S`` seconds.

    With ``spans`` (seconds), only the 30-second blocks that touch one are printed (the rest
    stay zero words, which ``find_in`` never looks at): a re-cut usually has a few minutes of
    unidentified music in an hour, and decoding is much cheaper than the spectra.
    """
    out: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    prev: np.ndarray | None = None
    start_word = 0
    for block in decode_blocks(path, audio_stream, block_s=30.0, cancel=cancel):
        buf = np.concatenate([carry, block])
        n = max(0, (buf.size - FRAME) // HOP + 1)
        t0, t1 = start_word * HOP_S, (start_word + n) * HOP_S + FRAME / ANALYSIS_RATE
        if spans is None or any(a - 1.0 < t1 and b + 1.0 > t0 for a, b in spans):
            words, prev = _words(buf, prev)
        else:
            words, prev = np.zeros(n, np.uint32), None
        out.append(words)
        start_word += words.size
        carry = buf[words.size * HOP:]
    return np.concatenate(out) if out else np.zeros(0, np.uint32)


@dataclass(frozen=True)
class PrintMatch:
    """Old seconds ``[old_start, old_end)`` play again at ``old + shift`` in the new print."""

    shift_s: float
    old_start_s: float
    old_end_s: float
    ber: float

    @property
    def seconds(self) -> float:
        return self.old_end_s - self.old_start_s


def find_in(old: np.ndarray, old_span: tuple[float, float], new: np.ndarray, new_span: tuple[float, float],
            min_overlap_s: float = MIN_OVERLAP_S) -> PrintMatch | None:
    """The best stretch of the old span that plays again inside the new span, if any."""
    oa, ob = (max(0, int(round(t / HOP_S))) for t in old_span)
    na, nb = (max(0, int(round(t / HOP_S))) for t in new_span)
    a, b = old[oa:min(ob, old.size)], new[na:min(nb, new.size)]
    min_words = int(min_overlap_s / HOP_S)
    if a.size < min_words or b.size < min_words:
        return None
    # exact word matches vote for a shift (new index - old index)
    order = np.argsort(b, kind="stable")
    sorted_b = b[order]
    lo = np.searchsorted(sorted_b, a, "left")
    hi = np.searchsorted(sorted_b, a, "right")
    counts = hi - lo
    keep = (counts > 0) & (counts <= 8)  # silence and held tones repeat one word everywhere
    if not keep.any():
        return None
    ai = np.repeat(np.flatnonzero(keep), counts[keep])
    bi = np.concatenate([order[s:e] for s, e in zip(lo[keep], hi[keep], strict=True)])
    shifts, votes = np.unique(bi - ai, return_counts=True)
    best: PrintMatch | None = None
    for k in np.argsort(-votes)[:5]:
        if votes[k] < 3:
            break
        shift = int(shifts[k])
        i0, i1 = max(0, -shift), min(a.size, b.size - shift)
        if i1 - i0 < min_words:
            continue
        errors = _popcount(a[i0:i1] ^ b[i0 + shift:i1 + shift])
        # the overlap may reach past the shared music (an edit point): keep the stretch where
        # the words agree, in one-second blocks
        block = max(1, int(1.0 / HOP_S))
        n_blocks = (i1 - i0) // block
        if n_blocks == 0:
            continue
        ber_blocks = errors[: n_blocks * block].reshape(n_blocks, block).mean(axis=1) / 32.0
        good = ber_blocks < MAX_BER
        run_start, run_len, cur = 0, 0, 0
        for j, g in enumerate(good.tolist() + [False]):
            if g:
                cur += 1
                if cur > run_len:
                    run_len, run_start = cur, j - cur + 1
            else:
                cur = 0
        if run_len * block < min_words:
            continue
        s0 = i0 + run_start * block
        s1 = s0 + run_len * block
        ber = float(errors[run_start * block:(run_start + run_len) * block].mean() / 32.0)
        shift_s = (na + shift - oa) * HOP_S
        match = PrintMatch(shift_s, (oa + s0) * HOP_S, (oa + s1) * HOP_S, ber)
        if best is None or match.seconds > best.seconds:
            best = match
    return best


def _popcount(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint32)
    x = x - ((x >> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >> 2) & 0x33333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F
    return ((x * 0x01010101) & 0xFFFFFFFF) >> 24


def encode_span(words: np.ndarray, span_s: tuple[float, float]) -> dict[str, object]:
    """The words of one stretch, to keep in a project (about 7 kB per minute as base64)."""
    a = max(0, int(span_s[0] / HOP_S))
    b = min(words.size, int(span_s[1] / HOP_S) + 1)
    return {"hop_s": HOP_S, "first_word": a,
            "words": base64.b64encode(words[a:b].astype("<u4").tobytes()).decode("ascii")}


def decode_spans(stored: list[dict[str, object]]) -> np.ndarray | None:
    """A print with the stored stretches in place (zeros elsewhere); None when there are none
    or they were made with another hop."""
    pieces = []
    for item in stored:
        try:
            if abs(float(item["hop_s"]) - HOP_S) > 1e-9:  # type: ignore[arg-type]
                continue
            words = np.frombuffer(base64.b64decode(str(item["words"])), dtype="<u4").astype(np.uint32)
            pieces.append((int(item["first_word"]), words))  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError):
            continue  # a damaged stored print costs only that cue's match
    if not pieces:
        return None
    out = np.zeros(max(a + w.size for a, w in pieces), np.uint32)
    for a, w in pieces:
        out[a:a + w.size] = w
    return out
