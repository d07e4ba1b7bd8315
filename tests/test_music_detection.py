"""Music detection on beds it must not flag and on quiet music it must find, and the shipped
model's feature pipeline (generated fixtures; no media committed)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cuesheet_app.identify.base import IdentifyRequest
from cuesheet_app.identify.local.classifier import MODEL_PATH, load_classifier
from cuesheet_app.identify.local.detect import (
    FEATURES,
    DetectParams,
    MusicDetector,
    concat_summaries,
    hysteresis_segments,
    long_features,
    signal_features,
    smooth_scores,
)
from cuesheet_app.identify.local.spectro import FRAME_S, ChunkedSpectrogram, spectrogram_chunks
from cuesheet_app.identify.registry import create_engine
from cuesheet_app.media.decode import decode_all
from cuesheet_app.settings.store import Settings
from tests.audio_fixtures import espeak_available, speech, write_wav
from tests.local_media import synth_music

RATE = 22050
needs_espeak = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")
TALK = ("Good evening. Tonight we walk along the coast and talk to the people who live by the sea, "
        "and we hear how the weather shapes their lives, season after season. ")


def _dbfs(x: np.ndarray, db: float) -> np.ndarray:
    return x / (np.sqrt(np.mean(x**2)) + 1e-12) * 10 ** (db / 20)


def _pink(seconds: float, seed: int) -> np.ndarray:
    n = int(seconds * RATE)
    spec = np.fft.rfft(np.random.default_rng(seed).normal(0, 1, n))
    spec /= np.sqrt(np.maximum(1, np.arange(spec.size)))
    return np.fft.irfft(spec, n)


def _pad(seconds: float) -> np.ndarray:
    """A slow pad: held chords of detuned partials, no beat (hard: no onsets to find)."""
    t = np.arange(int(seconds * RATE)) / RATE
    out = np.zeros_like(t)
    seg = int(5 * RATE)
    for i, chord in enumerate(([0, 4, 7], [0, 5, 9], [-2, 2, 5], [0, 3, 7])):
        a, b = i * seg, min(t.size, (i + 1) * seg)
        for semi in chord:
            f = 110 * 2 ** (semi / 12)
            for det in (-0.3, 0.0, 0.3):
                for h in range(1, 6):
                    out[a:b] += np.sin(2 * np.pi * (f + det) * h * t[a:b]) / h**1.5
    return out * (0.8 + 0.2 * np.sin(2 * np.pi * t / 6))


def _events(tmp_path: Path, signal: np.ndarray) -> list:
    path = write_wav(tmp_path / "bed.wav", np.clip(signal, -1, 1))
    engine = create_engine("local", Settings(), library_dir=tmp_path / "empty-library")
    return [e for e in engine.identify(IdentifyRequest(media_path=path)).events if e.music_detected]


def test_pink_noise_bed_gives_no_music_event(tmp_path: Path) -> None:
    bed = np.concatenate([_dbfs(_pink(20.0, 1), -35), _dbfs(_pink(10.0, 2), -45), _dbfs(_pink(10.0, 3), -28)])
    assert _events(tmp_path, bed) == []


@needs_espeak
def test_babble_bed_gives_no_music_event(tmp_path: Path) -> None:
    voices = []
    for i, voice in enumerate(("en", "en-us", "de", "fr", "en+f2", "en+m3", "es", "it")):
        wav = tmp_path / f"v{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(150 + 7 * i), "-w", str(wav), TALK * 2],
                       check=True, capture_output=True)
        x = decode_all(wav, rate=RATE)
        voices.append(np.roll(np.tile(x, 3)[: 25 * RATE], i * 3001))
    babble = _dbfs(np.sum(voices, axis=0), -30)
    assert _events(tmp_path, babble) == []


@needs_espeak
def test_quiet_pad_under_speech_gives_one_music_event(tmp_path: Path) -> None:
    talk = speech(tmp_path / "talk", TALK * 3)[: 30 * RATE]
    talk = _dbfs(talk, -23)
    pad = _dbfs(_pad(18.0), -23 - 6)  # 6 dB under the dialogue
    signal = talk.copy()
    signal[6 * RATE:24 * RATE] += pad[: 18 * RATE]
    events = _events(tmp_path, signal)
    assert len(events) == 1
    assert float(events[0].start) < 9.0 and float(events[0].end) > 15.0  # most of 6-24 s
    assert 0.5 <= events[0].detection_confidence <= 1.0


def test_model_file_loads_and_names_its_features_threshold_and_calibration() -> None:
    model = load_classifier()
    assert model is not None
    assert set(model.features) <= set(FEATURES)
    assert model.threshold is not None and 0.3 <= model.threshold <= 0.97
    assert model.calibration is not None and len(model.calibration) >= 3
    xs, ys = zip(*model.calibration, strict=True)
    assert list(xs) == sorted(xs) and list(ys) == sorted(ys) and ys[-1] <= 1.0
    assert MODEL_PATH.stat().st_size < 3_000_000
    # event forming chosen with the threshold: "off" under "on", a bridge and smoothing of seconds
    assert model.low is None or 0.05 <= model.low < model.threshold
    assert model.bridge_s is None or 0.5 <= model.bridge_s <= 5.0
    assert model.smooth_s is None or 0.5 <= model.smooth_s <= 5.0
    params = MusicDetector(DetectParams()).params
    assert params.smooth_s == (model.smooth_s or DetectParams.smooth_s)
    assert params.bridge_s == (model.bridge_s or DetectParams.bridge_s)
    doc = json.loads(MODEL_PATH.read_text())
    assert doc["trained_by"].startswith("benchmarks/detection/")


def test_engine_features_match_the_training_scripts_features() -> None:
    """The training script computes features with ``signal_features`` (whole signal, chunked
    internally); the engine feeds decoded blocks of any size through ``ChunkedSpectrogram`` into
    ``MusicDetector``. Both must give the same numbers from the same audio, and the shipped
    model's stored check values must come out again."""
    from benchmarks.detection.model_train import check_signal

    signal = check_signal()
    feats, loud = signal_features(signal)
    det = MusicDetector(DetectParams())
    chunker = ChunkedSpectrogram()
    for i in range(0, signal.size, 7777):  # odd block sizes, like a decoder's
        for chunk in chunker.push(signal[i:i + 7777]):
            det.add(chunk)
    for chunk in chunker.finish():
        det.add(chunk)
    engine_feats = det.features()  # the columns the shipped model needs (all, or the chunk ones)
    assert set(det.classifier.features) <= set(det.feature_names)
    same = feats[:, [FEATURES.index(f) for f in det.feature_names]]
    assert engine_feats.shape == same.shape
    np.testing.assert_allclose(engine_feats, same, rtol=1e-4, atol=1e-4)
    model = det.classifier
    assert model is not None
    scores = smooth_scores(model.predict(feats, FEATURES), loud, det.params, model.calibration)
    np.testing.assert_allclose(det.frame_scores(), scores, atol=1e-5)
    check = json.loads(MODEL_PATH.read_text())["check"]
    np.testing.assert_allclose(feats[:, [FEATURES.index(f) for f in model.features]].mean(axis=0),
                               check["feature_means"], rtol=1e-3, atol=1e-3)
    assert abs(float(scores.mean()) - check["score_mean"]) < 1e-3


def _long_feature(signal: np.ndarray, name: str) -> float:
    feats, _ = signal_features(signal.astype(np.float32))
    mid = feats[len(feats) // 4: 3 * len(feats) // 4]  # away from the ends' half-empty windows
    return float(np.median(mid[:, FEATURES.index(name)]))


def test_mains_comb_tells_hum_from_a_held_chord() -> None:
    """Mains hum is a comb on the 50/60 Hz grid; a held chord's partials fall anywhere."""
    rate, rng = 11025, np.random.default_rng(3)
    t = np.arange(30 * rate) / rate
    hum = sum(np.sin(2 * np.pi * 60 * 1.001 * k * t) / k for k in range(1, 13)) * 0.05
    chord = sum(np.sin(2 * np.pi * f * h * t) / h for f in (220.0, 277.2, 329.6) for h in range(1, 5)) * 0.03
    hum_share = _long_feature(hum + rng.normal(0, 1e-3, t.size), "mains_comb")
    chord_share = _long_feature(chord + rng.normal(0, 1e-3, t.size), "mains_comb")
    assert hum_share > 0.35 and chord_share < 0.3 and hum_share > chord_share + 0.15


def test_beat_tells_a_pulse_from_random_clicks() -> None:
    """Clicks at 120 BPM repeat at the beat period; Poisson clicks (applause, rain) do not."""
    rate, rng = 11025, np.random.default_rng(4)
    n = 30 * rate
    pulse, scatter = np.zeros(n), np.zeros(n)
    pulse[:: rate // 2] = 1.0
    scatter[rng.integers(0, n, 60)] = 1.0
    burst = rng.normal(0, 1, 300) * np.exp(-np.arange(300) / 40)
    pulse, scatter = (np.convolve(x, burst)[:n] * 0.2 + rng.normal(0, 1e-3, n) for x in (pulse, scatter))
    assert _long_feature(pulse, "beat") > _long_feature(scatter, "beat") + 0.2


def test_off_level_keeps_its_distance_under_on_across_sensitivity() -> None:
    """A model may store its own "off" level; sensitivity moves "on" and "off" together."""
    default = DetectParams(base_high=0.85)
    assert abs(default.low - 0.70) < 1e-9  # no stored "off": 0.15 under "on"
    wide = DetectParams(base_high=0.85, base_low=0.40)
    assert abs(wide.low - 0.40) < 1e-9
    eager = replace(wide, sensitivity=1.0)
    assert eager.high < wide.high and abs((eager.high - eager.low) - 0.45) < 1e-9


def test_a_segment_stays_on_through_dips_above_the_off_level() -> None:
    """Scores 0.9 / 0.5 dip / 0.9: one segment with "off" at 0.4, two with "off" at 0.7."""
    per_s = int(round(1 / FRAME_S))
    scores = np.concatenate([np.full(4 * per_s, 0.9), np.full(2 * per_s, 0.5), np.full(4 * per_s, 0.9),
                             np.zeros(per_s)]).astype(np.float32)
    one = hysteresis_segments(scores, DetectParams(base_high=0.85, base_low=0.4))
    two = hysteresis_segments(scores, DetectParams(base_high=0.85, base_low=0.7))
    assert len(one) == 1 and len(two) == 2


def test_the_model_files_off_level_reaches_the_detector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = load_classifier()
    assert model is not None
    model.threshold, model.low = 0.8, 0.45
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model.to_dict()))
    again = load_classifier(path)
    assert again is not None and again.low == 0.45
    from cuesheet_app.identify.local import detect

    monkeypatch.setattr(detect, "load_classifier", lambda: again)
    det = MusicDetector(DetectParams())
    assert abs(det.params.high - 0.8) < 1e-9 and abs(det.params.low - 0.45) < 1e-9


def test_a_low_off_level_does_not_run_the_tail_on() -> None:
    """Scores 0.9 for 4 s, then a 0.5 tail for 3 s: with "off" at 0.4 the segment ends where the
    score last stood 0.15 under "on" (at 4 s), not where it fell under "off" (at 7 s)."""
    per_s = int(round(1 / FRAME_S))
    scores = np.concatenate([np.zeros(per_s), np.full(4 * per_s, 0.9), np.full(3 * per_s, 0.5),
                             np.zeros(2 * per_s)]).astype(np.float32)
    (seg,) = hysteresis_segments(scores, DetectParams(base_high=0.85, base_low=0.4))
    assert seg.start_frame == per_s and seg.end_frame == 5 * per_s


def test_boosted_trees_round_trip_through_the_model_file(tmp_path: Path) -> None:
    """A tree model (benchmarks/detection/gbdt.py) learns a rule a straight line cannot, and the
    engine's copy read back from JSON predicts what the trained one does."""
    from benchmarks.detection.gbdt import train_gbdt
    from cuesheet_app.identify.local.classifier import FrameClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(6000, 3)).astype(np.float32)
    y = ((x[:, 0] > 0.3) ^ (x[:, 1] > 0)).astype(float)  # xor: no single threshold separates it
    trees = train_gbdt(x, y, np.ones(len(y)), seed=1)
    model = FrameClassifier(["a", "b", "c"], np.zeros(3, np.float32), np.ones(3, np.float32), [], trees=trees)
    xt = rng.normal(size=(2000, 3)).astype(np.float32)
    yt = (xt[:, 0] > 0.3) ^ (xt[:, 1] > 0)
    prob = model.predict(xt)
    assert ((prob > 0.5) == yt).mean() > 0.95
    path = tmp_path / "trees.json"
    path.write_text(json.dumps(model.to_dict()))
    again = load_classifier(path)
    assert again is not None and again.trees is not None
    np.testing.assert_allclose(again.predict(xt), prob, atol=1e-5)


def test_network_and_trees_in_one_file_combine_their_probabilities(tmp_path: Path) -> None:
    """An ensemble model file holds the MLP's layers and the trees; the engine's copy read back
    scores the mean of the two (or, with ``combine`` "min", the lower; with "veto", the network's
    unless the trees are below VETO_BELOW), not either one alone."""
    from benchmarks.detection.gbdt import train_gbdt
    from benchmarks.detection.model_train import train_mlp
    from cuesheet_app.identify.local.classifier import VETO_BELOW, FrameClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(6000, 3)).astype(np.float32)
    y = ((x[:, 0] > 0.3) ^ (x[:, 1] > 0)).astype(float)
    w = np.ones(len(y))
    net, trees = train_mlp(x, y, w, 1, ["a", "b", "c"], epochs=2), train_gbdt(x, y, w, seed=1)
    alone = FrameClassifier(["a", "b", "c"], np.zeros(3, np.float32), np.ones(3, np.float32), [], trees=trees)
    xt = rng.normal(size=(500, 3)).astype(np.float32)
    p_net, p_trees = net.predict(xt), alone.predict(xt)
    assert np.abs(p_net - p_trees).max() > 0.1  # they differ, so the test can tell which is used
    veto = np.where(p_trees < VETO_BELOW, np.minimum(p_net, p_trees), p_net)
    assert np.abs(veto - p_net).max() > 0.1  # the trees below VETO_BELOW overrule the network here
    for combine, expect in (("mean", (p_net + p_trees) / 2), ("min", np.minimum(p_net, p_trees)), ("veto", veto)):
        both = FrameClassifier(net.features, net.mean, net.std, net.layers, trees=trees, combine=combine)
        path = tmp_path / f"{combine}.json"
        path.write_text(json.dumps(both.to_dict()))
        again = load_classifier(path)
        assert again is not None and again.combine == combine
        np.testing.assert_allclose(again.predict(xt), expect, atol=1e-5)


def test_hysteresis_matches_a_frame_by_frame_state_machine() -> None:
    """The vectorised hysteresis switches on at the first frame at "on" while off and off at
    the first frame under "off" while on, exactly as walking the frames one by one does."""
    rng = np.random.default_rng(3)
    for trial in range(40):
        scores = np.clip(np.cumsum(rng.normal(0, 0.06, 3000)), 0, 1).astype(np.float32)
        params = DetectParams(base_high=float(rng.uniform(0.5, 0.95)), base_low=float(rng.uniform(0.1, 0.45)),
                              bridge_s=0.0, min_segment_s=0.0)
        on, runs = False, []
        for i, v in enumerate(scores):
            if not on and v >= params.high:
                on, start = True, i
            elif on and v < params.low:
                runs.append((start, i))
                on = False
        if on:
            runs.append((start, scores.size))
        got = hysteresis_segments(scores, params)
        assert [s.start_frame for s in got] == [a for a, _ in runs], trial
        for seg, (a, b) in zip(got, runs, strict=True):  # ends trimmed back to the last frame at "edge"
            assert seg.end_frame == a + int(np.flatnonzero(scores[a:b] >= params.edge)[-1]) + 1


def test_long_features_a_block_at_a_time_equal_the_whole_episodes() -> None:
    """The long-context features are computed in blocks with a margin of context (their arrays
    over a whole 60-minute episode took ~1 GB at once, 2.4 GB for two hours): every frame's
    value must be what the whole-episode pass gives, at the block joins too. A margin narrower
    than the widest window (the beat autocorrelation's, ~220 frames) must show up here."""
    rate, rng = 11025, np.random.default_rng(8)
    t = np.arange(40 * rate) / rate
    hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 9)) * 0.05
    clicks = np.zeros(t.size)
    clicks[:: rate // 2] = 1.0
    pulse = np.convolve(clicks, rng.normal(0, 1, 300) * np.exp(-np.arange(300) / 40))[: t.size] * 0.2
    music = synth_music(40.0, seed=5)[::2]  # 22,050 -> 11,025 Hz
    signal = np.concatenate([music[: t.size], hum + rng.normal(0, 1e-3, t.size), pulse]).astype(np.float32)
    det = MusicDetector(features_only=True)
    for chunk in spectrogram_chunks([signal]):
        det.add(chunk)
    summary = concat_summaries(det._summaries)
    whole = long_features(summary, block=1 << 30)
    assert whole.shape[0] > 2000
    blocks = long_features(summary, block=300)
    np.testing.assert_allclose(blocks, whole, rtol=1e-5, atol=1e-6)
    narrow = long_features(summary, block=300, margin=60)
    assert not np.allclose(narrow, whole, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seconds", [0.05, 0.5, 1.0])
def test_a_clip_shorter_than_the_feature_lags_is_scored_without_error(tmp_path: Path, seconds: float) -> None:
    """A sting or a trimmed clip shorter than the 0.5 s fine-structure lag or the beat lags
    (chunk features: under ~0.6 s; long-context features: under ~1.6 s) crashed detection with
    a shape mismatch; it is short music, and has one score per frame like any other."""
    signal = synth_music(seconds, seed=2)[::2].astype(np.float32)  # 22,050 -> 11,025 Hz
    feats, loud = signal_features(signal)
    assert feats.shape == (loud.size, len(FEATURES)) and loud.size > 0
    assert np.isfinite(feats).all()
    path = write_wav(tmp_path / "short.wav", synth_music(seconds, seed=2))
    doc = create_engine("local", Settings(), library_dir=tmp_path / "lib").identify(IdentifyRequest(media_path=path))
    assert all(float(e.end) <= seconds + 0.1 for e in doc.events)


def test_evaluation_model_cache_survives_a_half_written_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The evaluation caches each trained model by recipe and training code; a run killed while
    writing one left a file that every later run failed to read. Such a file is trained again."""
    from benchmarks.detection import evaluate
    from cuesheet_app.identify.local.classifier import FrameClassifier

    trained: list[int] = []

    def fake_train(fit_eps: list, seed: int, kind: str) -> FrameClassifier:
        trained.append(seed)
        return FrameClassifier(["a"], np.zeros(1, np.float32), np.ones(1, np.float32),
                               [(np.ones((1, 1), np.float32), np.zeros(1, np.float32))])

    monkeypatch.setattr(evaluate, "OUT", tmp_path)
    monkeypatch.setattr(evaluate, "_train_uncached", fake_train)
    evaluate._train_kind([], 1, "mlp")
    evaluate._train_kind([], 1, "mlp")
    assert trained == [1]  # the second came from the cache
    [cached] = (tmp_path / "models").glob("*.json")
    cached.write_text(cached.read_text()[:20])  # killed while writing
    model = evaluate._train_kind([], 1, "mlp")
    assert trained == [1, 1] and model.features == ["a"]
    assert json.loads(cached.read_text())["features"] == ["a"]
