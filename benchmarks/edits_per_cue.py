"""Edits per 10 true cues: what a music supervisor must change to turn the engine's events into
the true cue list, on episodes where music follows music (built by edits_per_cue_build.py).

    nice -n 10 .venv/bin/python benchmarks/edits_per_cue.py [--split test|tune|all] [--reindex] [--tune]
    nice -n 10 .venv/bin/python benchmarks/edits_per_cue.py --save-inputs /work/cache/me/inputs
    .venv/bin/python benchmarks/edits_per_cue.py --replay /work/cache/me/inputs [--split tune]

The edits (issue 13):
  add      one per true cue that no event covers by half;
  retime   one per cue whose event has an edge more than 1 s off;
  retitle  one per library cue whose event is unidentified or names another track (and one per
           non-library cue its event names as a library track);
  delete   one per event over no music (less than half of it over music). An event over music
           that no cue is left for (a cue cut in two, a sliver beside a cue) is a delete as well,
           reported apart as ``extra``: the supervisor must remove or merge it.

Cues and events are paired one to one, largest overlap first, so an event that swallows two
cues covers only one of them (the other needs an add). Totals per episode, per split and per
held-out group (synthesizer, noise type, music package) go to benchmarks/results/edits_per_cue.json,
for the engine as it ships ("engine": change-point splitting only on strong evidence,
``STRONG_CHANGES``), with the eager splitting ("split", ``LocalEngine(split_changes=True)``)
with that but without moving identified
edges to a crossfade's middle ("split-no-xfade-move"), and as shipped plus the cuts at the
episode's own repeats ("repeats", ``LocalEngine(repeat_cuts=True)``, repeats.py), and with
cuts by the piece-identity score instead of the novelty ("identity",
``LocalEngine(identity_changes=True)``), all built from the same engine run; the
tables printed are the ones in docs/local-engine.md. ``--tune`` grid-searches the change-point
parameters on the tune split only.

``--save-inputs DIR`` keeps, per episode, what the engine's edge refinement and event building
were given (matches, episode peaks, detected segments, change features; a pickle, ~1 MB an
episode; and its log spectrogram as ``<episode>.spec.npy``, float16, ~9 MB, for features the
pickle lacks); ``--replay DIR`` then rebuilds the events from them with the current code and scores
them, in seconds instead of minutes: for iterating on boundaries.py / edges.py /
changepoints.py / engine._events. Detection and matching are not re-run, so a change there needs
a fresh ``--save-inputs``; a pickle is only good for the code it was written with (dataclass
fields). ``--replay DIR --identity`` scores the piece-identity variant; ``--replay DIR --fit``
fits its weights on the tune split's saved inputs. The training episodes (built by
``edits_per_cue_build.py --train``, never in the benchmark's manifest): ``--split train
--save-inputs TDIR`` keeps their inputs, ``--replay TDIR --split train --fit [--repetition 10]``
fits the weights on them (with the repetition signals over 10 s windows).

Exit status 1 when a test-split group needs more than 2 edits per 10 cues.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "local_engine"))

import run as local_run  # noqa: E402

from cuesheet_app.identify.base import IdentifyRequest  # noqa: E402
from cuesheet_app.identify.local.engine import LocalEngine  # noqa: E402
from cuesheet_app.identify.local.library import Library  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "edits_per_cue"
TRAIN = DATA / "train"  # the piece-boundary score's training episodes (edits_per_cue_build.py --train)
RESULTS = ROOT / "benchmarks" / "results" / "edits_per_cue.json"
EDGE_TOLERANCE_S = 1.0
TARGET = 2.0
KINDS = ("add", "retime", "retitle", "delete", "extra")


def index_library(reindex: bool) -> dict:
    """The benchmark's library (the manifest's library tracks), indexed once by the local
    engine benchmark's ``index_library``."""
    manifest = json.loads((DATA / "manifest.json").read_text())
    return local_run.index_library(reindex, DATA / "library", manifest["library"])


def score_episode(cues: list[dict], events: list[dict], tracks: dict[int, str]) -> dict:
    """Edits for one episode. ``cues``: truth (start_s, end_s, kind lib/nonlib, track path);
    ``events``: engine events as dicts (start_time_s, end_time_s, music_identified,
    reference_id); ``tracks``: library id -> path."""
    ev = [e for e in events if e.get("music_detected", True)]
    pairs = []
    for ci, c in enumerate(cues):
        for ei, e in enumerate(ev):
            o = min(c["end_s"], e["end_time_s"]) - max(c["start_s"], e["start_time_s"])
            if o > 0:
                pairs.append((o, ci, ei))
    pairs.sort(reverse=True)
    cue_of: dict[int, int] = {}
    event_of: dict[int, int] = {}
    for o, ci, ei in pairs:
        if ci in event_of or ei in cue_of:
            continue
        if o < 0.5 * (cues[ci]["end_s"] - cues[ci]["start_s"]):
            continue
        event_of[ci], cue_of[ei] = ei, ci
    edits = dict.fromkeys(KINDS, 0)
    details = []
    for ci, c in enumerate(cues):
        if ci not in event_of:
            edits["add"] += 1
            details.append({"edit": "add", "cue": ci, "start_s": c["start_s"], "end_s": c["end_s"]})
            continue
        e = ev[event_of[ci]]
        ds, de = e["start_time_s"] - c["start_s"], e["end_time_s"] - c["end_s"]
        if abs(ds) > EDGE_TOLERANCE_S or abs(de) > EDGE_TOLERANCE_S:
            edits["retime"] += 1
            details.append({"edit": "retime", "cue": ci, "start_off": round(ds, 2), "end_off": round(de, 2),
                            "in": c.get("transition_in"), "out": c.get("transition_out")})
        named = tracks.get(int(e["reference_id"])) if e.get("music_identified") else None
        # the library stores resolved paths; the truth keeps the builder's (a symlinked data
        # folder made every library cue a retitle)
        same = named is not None and Path(named).resolve() == Path(c["track"]).resolve()
        if (c["kind"] == "lib" and not same) or (c["kind"] != "lib" and named is not None):
            edits["retitle"] += 1
            details.append({"edit": "retitle", "cue": ci, "named": Path(named).name if named else None})
    music = [(c["start_s"], c["end_s"]) for c in cues]
    for ei, e in enumerate(ev):
        if ei in cue_of:
            continue
        length = e["end_time_s"] - e["start_time_s"]
        over = sum(max(0.0, min(b, e["end_time_s"]) - max(a, e["start_time_s"])) for a, b in music)
        kind = "delete" if over < 0.5 * length else "extra"
        edits[kind] += 1
        details.append({"edit": kind, "start_s": e["start_time_s"], "end_s": e["end_time_s"]})
    return {"cues": len(cues), "events": len(ev), "edits": edits, "total": sum(edits.values()),
            "details": details}


def per10(rows: list[dict]) -> dict:
    cues = sum(r["cues"] for r in rows)
    edits = {k: sum(r["edits"][k] for r in rows) for k in KINDS}
    total = sum(edits.values())
    return {"episodes": len(rows), "cues": cues, **edits, "total": total,
            "per_10_cues": round(10 * total / max(1, cues), 2)}


GRID = {"threshold": [1.6, 2.0, 2.5, 3.0, 3.5], "min_piece_s": [4.0, 6.0], "rhythm_weight": [1.0, 2.0],
        "window_s": [6.0, 8.0]}


def cost() -> int:
    """CPU time of the change-point features and splitting per hour of audio, next to the
    detector's, on the same spectrogram chunks (process CPU time: the machine is shared)."""
    from cuesheet_app.identify.local.changepoints import (
        ChangeFeatures,
        ChangeParams,
        pitch_classes,
        split_segment,
    )
    from cuesheet_app.identify.local.detect import MusicDetector
    from cuesheet_app.identify.local.landmarks import QUERY_DENSE, PeakCollector
    from cuesheet_app.identify.local.spectro import spectrogram_chunks
    from cuesheet_app.media.decode import decode_blocks

    manifest = json.loads((DATA / "manifest.json").read_text())
    spent = {"change_features": 0.0, "split": 0.0, "detector": 0.0}
    seconds = 0.0
    for ep in manifest["episodes"][:4]:
        path = DATA / "episodes" / f"{ep['name']}.m4a"
        changes, detector, peaks = ChangeFeatures(), MusicDetector(), PeakCollector(QUERY_DENSE)
        for chunk in spectrogram_chunks(decode_blocks(path)):
            t0 = time.process_time()
            changes.add(chunk)
            t1 = time.process_time()
            detector.add(chunk)
            t2 = time.process_time()
            peaks.add(chunk)
            spent["change_features"] += t1 - t0
            spent["detector"] += t2 - t1
        t0 = time.process_time()
        scores = detector.frame_scores()
        segments = detector.segments(scores)
        spent["detector"] += time.process_time() - t0
        t0 = time.process_time()
        blocks = changes.blocks()
        chroma = pitch_classes(*peaks.peaks(), blocks.shape[0])
        onsets = changes.onsets()
        for seg in segments:
            split_segment(blocks, chroma, seg.start_frame, seg.end_frame, ChangeParams(), onsets)
        spent["split"] += time.process_time() - t0
        seconds += scores.size * 256 / 11025
    per_hour = {k: round(v * 3600 / seconds, 2) for k, v in spent.items()}
    print(f"CPU seconds per hour of audio: {per_hour} ({seconds / 60:.1f} min measured)")
    return 0


def tune() -> int:
    """Change-point parameters chosen on the tune split only (never on the test episodes)."""
    import itertools
    from dataclasses import replace

    from cuesheet_app.identify.local.changepoints import ChangeParams

    manifest = json.loads((DATA / "manifest.json").read_text())
    index_library(False)
    lib_dir = DATA / "library"
    tracks = {t.id: t.path for t in Library(lib_dir).tracks()}
    engine = LocalEngine(lib_dir)
    captured: list[tuple] = []
    original = engine._events

    def capture(*a, **kw):  # type: ignore[no-untyped-def]
        captured.append((a, kw))
        return original(*a, **kw)

    engine._events = capture  # type: ignore[method-assign]
    episodes = []
    for ep in manifest["episodes"]:
        if ep["split"] != "tune":
            continue
        path = DATA / "episodes" / f"{ep['name']}.m4a"
        truth = json.loads(path.with_suffix(".truth.json").read_text())
        engine.identify(IdentifyRequest(media_path=path))
        episodes.append((truth, captured[-1]))
    engine._events = original  # type: ignore[method-assign]
    results = []
    settings: list[ChangeParams | None] = [None]
    for values in itertools.product(*GRID.values()):
        settings.append(replace(ChangeParams(), **dict(zip(GRID, values, strict=True))))
    for params in settings:
        engine.change_params = params
        rows = []
        for truth, (a, kw) in episodes:
            events = [e.to_dict() for e in engine._events(*a, **kw)]
            rows.append(score_episode(truth["cues"], events, tracks))
        agg = per10(rows)
        results.append((agg["per_10_cues"], params, agg))
        print(f"{params} -> {agg['per_10_cues']} {dict((k, agg[k]) for k in KINDS)}", flush=True)
    best = min(results, key=lambda r: r[0])
    print(f"best on the tune split: {best[1]} -> {best[0]} edits per 10 cues")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=["tune", "test", "all", "train"], default="all",
                    help="train: the piece-boundary score's training episodes (with --save-inputs or "
                         "--replay DIR --fit only)")
    ap.add_argument("--reindex", action="store_true")
    ap.add_argument("--cost", action="store_true",
                    help="time the change-point work against detection on the episodes (CPU seconds)")
    ap.add_argument("--tune", action="store_true",
                    help="grid-search the change-point parameters on the tune split and print the best "
                         "(runs the engine once per episode, re-building events for each setting)")
    ap.add_argument("--save-inputs", type=Path, metavar="DIR",
                    help="also keep each episode's refinement and event-building inputs here (pickles)")
    ap.add_argument("--replay", type=Path, metavar="DIR",
                    help="rebuild and score events from inputs kept by --save-inputs (no decoding, no matching)")
    ap.add_argument("--repeats", action="store_true",
                    help="with --replay: also cut at the episode's own repeats (LocalEngine(repeat_cuts=True))")
    ap.add_argument("--identity", action="store_true",
                    help="with --replay: cut unidentified music by the piece-identity score "
                         "(LocalEngine(identity_changes=True))")
    ap.add_argument("--fit", action="store_true",
                    help="with --replay: fit the piece-identity score's weights on the tune split's "
                         "unidentified pieces and print them (changepoints.IDENTITY_CHANGES)")
    ap.add_argument("--repetition", metavar="SECONDS,...",
                    help="with --fit: also the repetition signals over windows of these lengths")
    args = ap.parse_args(argv)
    if args.replay and args.fit:
        windows = tuple(float(v) for v in args.repetition.split(",")) if args.repetition else ()
        return fit_identity(args.replay, split="train" if args.split == "train" else "tune",
                            repetition_windows_s=windows)
    if args.split == "train":
        if not args.save_inputs:
            raise SystemExit("--split train is for --save-inputs DIR or --replay DIR --fit")
        return save_train_inputs(args.save_inputs)
    if args.replay:
        from cuesheet_app.identify.local.changepoints import IDENTITY_CHANGES

        replay(args.replay, args.split, args.repeats, IDENTITY_CHANGES if args.identity else "default")
        return 0
    if args.tune:
        return tune()
    if args.cost:
        return cost()
    manifest = json.loads((DATA / "manifest.json").read_text())
    idx = index_library(args.reindex)
    lib_dir = DATA / "library"
    tracks = {t.id: t.path for t in Library(lib_dir).tracks()}
    engine = LocalEngine(lib_dir)
    # one engine run per episode; the events are built once per variant from the same inputs
    original = engine._events
    captured, refine_inputs = capturing(engine)
    spectra: list[list] = []
    if args.save_inputs:
        keep_spectrum(spectra)
    from dataclasses import replace

    from cuesheet_app.identify.local.changepoints import IDENTITY_CHANGES, ChangeParams
    from cuesheet_app.identify.local.repeats import RepeatParams

    engine.identity_features = True  # for the "identity" variant; the engine's own events are unchanged
    variants = {"engine": engine.change_params, "split": ChangeParams(),
                "split-no-xfade-move": replace(ChangeParams(), place_crossfades=False),
                "repeats": engine.change_params, "identity": IDENTITY_CHANGES}
    rows: dict[str, list[dict]] = {v: [] for v in variants}
    for ep in manifest["episodes"]:
        if args.split != "all" and ep["split"] != args.split:
            continue
        path = DATA / "episodes" / f"{ep['name']}.m4a"
        if not path.with_suffix(".truth.json").exists():
            print(f"{ep['name']}: not built (run edits_per_cue_build.py), left out", flush=True)
            continue
        truth = json.loads(path.with_suffix(".truth.json").read_text())
        t0 = time.perf_counter()
        engine.identify(IdentifyRequest(media_path=path))
        wall = time.perf_counter() - t0
        a, kw = captured[-1]
        if args.save_inputs:
            args.save_inputs.mkdir(parents=True, exist_ok=True)
            saved = {"events": (a, kw), "refine": refine_inputs[-1] if refine_inputs else None}
            (args.save_inputs / f"{ep['name']}.pkl").write_bytes(pickle.dumps(saved))
            refine_inputs.clear()
            if spectra:  # the episode's log spectrogram, for signals the saved features lack
                import numpy as np

                np.save(args.save_inputs / f"{ep['name']}.spec.npy", np.concatenate(spectra[-1]))
                spectra.clear()
        for variant, params in variants.items():
            engine.change_params = params
            engine.repeat_params = RepeatParams() if variant == "repeats" else None
            events = [e.to_dict() for e in original(*a, **kw)]
            out_dir = DATA / "events" / variant
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"{ep['name']}.json").write_text(json.dumps(events, indent=1))
            r = score_episode(truth["cues"], events, tracks)
            r.update({k: ep[k] for k in ("name", "split", "synth", "noise", "package")},
                     wall_s=round(wall, 2), x_realtime=round(truth["duration_s"] / wall, 1))
            rows[variant].append(r)
            e = r["edits"]
            print(f"{variant:6} {ep['name']} {ep['split']:4} {ep['synth']:9} {ep['noise']:6} {ep['package']:22} "
                  f"cues {r['cues']:3} add {e['add']} retime {e['retime']} retitle {e['retitle']} "
                  f"delete {e['delete']} extra {e['extra']} -> {10 * r['total'] / max(1, r['cues']):.1f}/10 "
                  f"({r['x_realtime']}x RT, machine shared)", flush=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    worst_engine = None
    for variant in variants:
        summary = summarise(rows[variant], idx)
        results[variant] = summary
        print(f"\n{variant}:")
        print("| group | cues | add | retime | retitle | delete | extra | edits / 10 cues |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        table = [(f"{k} split", v) for k, v in summary["splits"].items()] + list(summary["groups"].items())
        for name, g in table:
            print(f"| {name} | {g['cues']} | {g['add']} | {g['retime']} | {g['retitle']} | {g['delete']} | "
                  f"{g['extra']} | {g['per_10_cues']} |")
        worst = summary["worst_group"]
        if worst:
            print(f"worst held-out group: {worst['group']} {worst['per_10_cues']} edits per 10 cues "
                  f"(target <= {TARGET})")
        if variant == "engine":
            worst_engine = worst
    results["note"] = note(rows["engine"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    return 1 if worst_engine and worst_engine["per_10_cues"] > TARGET else 0


def keep_spectrum(spectra: list[list]) -> None:
    """With --save-inputs: the engine's change features also keep the log spectrogram they are
    made from (frames x bins, float16, ~9 MB an episode; one list per ``identify`` call), saved
    beside each pickle as ``<episode>.spec.npy``, so a new boundary signal can be tried with
    ``--replay`` before the engine computes it. The engine's own work is unchanged."""
    import numpy as np

    from cuesheet_app.identify.local import engine as engine_module

    class Keeping(engine_module.ChangeFeatures):
        def __init__(self, identity: bool = False) -> None:
            super().__init__(identity)
            spectra.append([])

        def add(self, chunk) -> None:  # type: ignore[no-untyped-def]
            super().add(chunk)
            core = chunk.spec[:, chunk.before:chunk.before + chunk.core]
            spectra[-1].append(core.T.astype(np.float16))

    engine_module.ChangeFeatures = Keeping  # type: ignore[misc]


def episodes_of(split: str) -> list[tuple[dict, Path]]:
    """(episode, its .m4a) of one split: "tune" / "test" / "all" from the benchmark's manifest,
    "train" from the training episodes' own (edits_per_cue_build.py --train)."""
    if split == "train":
        eps = json.loads((TRAIN / "manifest.json").read_text())["episodes"]
        return [(ep, TRAIN / f"{ep['name']}.m4a") for ep in eps]
    eps = json.loads((DATA / "manifest.json").read_text())["episodes"]
    return [(ep, DATA / "episodes" / f"{ep['name']}.m4a") for ep in eps if split in ("all", ep["split"])]


def capturing(engine: LocalEngine) -> tuple[list[tuple], list[tuple]]:
    """Keep what every ``identify`` call hands the edge refinement and the event building (the
    engine's work is unchanged): lists of (args, kwargs) of ``_events`` and of the args of
    ``_refine``, one entry per call, for ``--save-inputs`` and ``--replay``."""
    captured: list[tuple] = []
    refine_inputs: list[tuple] = []
    original, original_refine = engine._events, engine._refine

    def capture(*a, **kw):  # type: ignore[no-untyped-def]
        captured.append((a, kw))
        return original(*a, **kw)

    def capture_refine(*a):  # type: ignore[no-untyped-def]
        refine_inputs.append(a)
        return original_refine(*a)

    engine._events = capture  # type: ignore[method-assign]
    engine._refine = capture_refine  # type: ignore[method-assign]
    return captured, refine_inputs


def save_train_inputs(folder: Path) -> int:
    """The engine's event-building inputs for every training episode, as ``--save-inputs`` keeps
    them (with the piece-identity block features collected while streaming), for ``--fit``."""
    from cuesheet_app.identify.local.repeats import RepeatParams

    engine = LocalEngine(DATA / "library")
    engine.identity_features = True
    engine.repeat_params = RepeatParams()  # so the episode's peaks are kept even without matches
    captured, refine_inputs = capturing(engine)
    folder.mkdir(parents=True, exist_ok=True)
    for ep, path in episodes_of("train"):
        out = folder / f"{ep['name']}.pkl"
        if out.exists():
            continue
        refine_inputs.clear()
        t0 = time.perf_counter()
        engine.identify(IdentifyRequest(media_path=path))
        saved = {"events": captured[-1], "refine": refine_inputs[-1] if refine_inputs else None}
        tmp = out.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(saved))
        tmp.replace(out)
        print(f"{ep['name']} {ep['package']} {ep['noise']}: {time.perf_counter() - t0:.1f} s", flush=True)
    return 0


def fit_identity(folder: Path, strength: float = 1.0, split: str = "tune",
                 repetition_windows_s: tuple[float, ...] = ()) -> int:
    """The piece-identity score's weights (changepoints.identity_signals -> logistic), fitted on
    one split (never the test split): the engine's unidentified pieces (events built without
    change-point cuts from the saved inputs), each block boundary within 0.3 s of a true cue
    start inside a piece (2 s or more from its ends) a change, every one more than 3 s from all
    of them not; an L2 penalty of 1/``strength`` on the standardised weights. With
    ``repetition_windows_s``, the repetition signals too (from the saved episode peaks)."""
    import numpy as np

    from cuesheet_app.identify.local.changepoints import (
        BLOCK,
        BLOCK_S,
        ChangeParams,
        identity_signals,
        segment_peaks,
    )

    if split == "test":
        raise SystemExit("the test split is held out: fit on tune or train")
    engine = LocalEngine(DATA / "library")
    engine.change_params = None
    xs, ys, n_bounds = [], [], 0
    for ep, path in episodes_of(split):
        saved_path = folder / f"{ep['name']}.pkl"
        if not saved_path.exists():
            continue
        saved = pickle.loads(saved_path.read_bytes())
        a, kw = with_identity(saved["events"], folder / f"{ep['name']}.spec.npy")
        if saved["refine"] is not None:
            a = (list(engine._refine(*saved["refine"])), *a[1:])
        feats, chroma, onsets, ident = a[5]
        peaks = a[6] if len(a) > 6 else kw.get("peaks")
        if repetition_windows_s and peaks is None:
            raise SystemExit(f"{saved_path}: no episode peaks saved (save the inputs again)")
        pf, pb = peaks.frames_bins() if peaks is not None else (None, None)
        params = ChangeParams(repetition_windows_s=repetition_windows_s)
        starts = [c["start_s"] for c in json.loads(path.with_suffix(".truth.json").read_text())["cues"]]
        for e in engine._events(*a, **kw):
            s0, s1 = float(e.start), float(e.end)
            lo, hi = int(round(s0 / BLOCK_S)), int(round(s1 / BLOCK_S))
            if e.music_identified or hi - lo < 20:
                continue
            own = segment_peaks((pf, pb), lo, hi) if pf is not None else None
            x = identity_signals(feats[lo:hi], chroma[lo:hi], ident[lo:hi], onsets[lo * BLOCK:hi * BLOCK], params, own)
            label = np.zeros(x.shape[0], int)
            bounds = [int(round(s / BLOCK_S)) - lo for s in starts if s0 + 2 < s < s1 - 2]
            for t in bounds:
                label[max(0, t - 33):t + 32] = -1
            for t in bounds:
                label[max(0, t - 4):t + 3] = 1
            n_bounds += len(bounds)
            xs.append(x[label >= 0])
            ys.append(label[label >= 0])
    x, y = np.vstack(xs), np.concatenate(ys).astype(np.float64)
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mu) / sd, np.ones((x.shape[0], 1))])
    w = np.zeros(z.shape[1])
    cw = np.ones_like(y)  # classes as they come: the score is the chance of a change at a block
    penalty = np.r_[np.ones(z.shape[1] - 1), 0.0] / strength
    for _ in range(50):  # Newton's method
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (cw * (p - y)) + penalty * w
        hess = (z * (cw * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    weights = [*(w[:-1] / sd), w[-1] - float((w[:-1] * mu / sd).sum())]
    print(f"{n_bounds} true boundaries, {int(y.sum())} change / {int((1 - y).sum())} inside blocks")
    print("identity_weights =", tuple(round(float(v), 3) for v in weights))
    return 0


def with_identity(saved: tuple, spec_path: Path) -> tuple:
    """Saved event-building inputs (args, kwargs) whose change features lack the piece-identity
    block features (pickles from code before them): added from the saved spectrogram when there
    is one (``ChangeFeatures.identity``, the same block averages over the same frames)."""
    a, kw = saved
    features = a[5] if len(a) > 5 else kw.get("change_features")
    if features is None or len(features) > 3 or not spec_path.exists():
        return a, kw
    import numpy as np

    from cuesheet_app.identify.local.changepoints import BLOCK, identity_frames

    spec = np.load(spec_path)
    frames = np.concatenate([identity_frames(spec[i:i + 4096].T) for i in range(0, spec.shape[0], 4096)])
    whole = frames.shape[0] // BLOCK * BLOCK
    ident = frames[:whole].reshape(-1, BLOCK, frames.shape[1]).mean(axis=1)
    if whole < frames.shape[0]:
        ident = np.vstack([ident, frames[whole:].mean(axis=0, keepdims=True)])
    features = (*features, ident[:features[0].shape[0]].astype(np.float32))
    if len(a) > 5:
        return (*a[:5], features, *a[6:]), kw
    return a, {**kw, "change_features": features}


def replay(folder: Path, split: str, repeats: bool = False, change_params: object = "default",
           quiet: bool = False) -> dict:
    """Events rebuilt with the current code from the inputs ``--save-inputs`` kept (the edge
    refinement re-run on the saved matches, then the event building), scored per split and
    held-out group; nothing is written. For trusted pickles only (this session's own)."""
    lib_dir = DATA / "library"
    tracks = {t.id: t.path for t in Library(lib_dir).tracks()}
    engine = LocalEngine(lib_dir, repeat_cuts=repeats)
    if change_params != "default":
        engine.change_params = change_params  # type: ignore[assignment]
    rows = []
    for ep, path in episodes_of(split):
        saved_path = folder / f"{ep['name']}.pkl"
        if not saved_path.exists():
            continue
        saved = pickle.loads(saved_path.read_bytes())
        a, kw = with_identity(saved["events"], folder / f"{ep['name']}.spec.npy")
        if saved["refine"] is not None and engine.edge_params is not None:
            a = (list(engine._refine(*saved["refine"])), *a[1:])
        events = [e.to_dict() for e in engine._events(*a, **kw)]
        truth = json.loads(path.with_suffix(".truth.json").read_text())
        r = score_episode(truth["cues"], events, tracks)
        r.update({k: ep[k] for k in ("name", "split", "synth", "noise", "package")})
        rows.append(r)
    summary = summarise(rows, {})
    if quiet:
        return summary
    table = [(f"{k} split", v) for k, v in summary["splits"].items()] + list(summary["groups"].items())
    print("| group | cues | add | retime | retitle | delete | extra | edits / 10 cues |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, g in table:
        print(f"| {name} | {g['cues']} | {g['add']} | {g['retime']} | {g['retitle']} | {g['delete']} | "
              f"{g['extra']} | {g['per_10_cues']} |")
    if summary["worst_group"]:
        print(f"worst held-out group: {summary['worst_group']['group']} {summary['worst_group']['per_10_cues']}")
    return summary


def note(rows: list[dict]) -> str:
    """What the stored results measured (which episodes, which variants)."""
    names = {split: [r["name"] for r in rows if r["split"] == split] for split in ("tune", "test")}
    return (f"{len(names['tune'])} tune episodes ({', '.join(names['tune'])}), {len(names['test'])} held out "
            f"({', '.join(names['test'])}); 'engine' = as shipped (change-point splitting on strong evidence only), "
            "'split' = LocalEngine(split_changes=True) (eager), 'split-no-xfade-move' = split without moving "
            "identified edges to a crossfade's novelty peak, 'repeats' = as shipped plus cuts at the episode's "
            "own repeats (LocalEngine(repeat_cuts=True)), 'identity' = cuts by the piece-identity score "
            "(LocalEngine(identity_changes=True))")


def summarise(rows: list[dict], idx: dict) -> dict:
    summary: dict = {"library": idx, "splits": {}, "groups": {}}
    for split in ("train", "tune", "test"):
        sel = [r for r in rows if r["split"] == split]
        if sel:
            summary["splits"][split] = per10(sel)
    test = [r for r in rows if r["split"] == "test"]
    for factor in ("synth", "noise", "package"):
        for value in sorted({r[factor] for r in test}):
            summary["groups"][f"{factor}={value}"] = per10([r for r in test if r[factor] == value])
    worst = max(summary["groups"].items(), key=lambda kv: kv[1]["per_10_cues"], default=None)
    summary["worst_group"] = {"group": worst[0], **worst[1]} if worst else None
    summary["episodes"] = rows
    return summary


if __name__ == "__main__":
    sys.exit(main())
