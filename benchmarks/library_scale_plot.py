"""Plot benchmarks/results/library_scale.json into docs/library_scale.svg (no plotting library).

    .venv/bin/python benchmarks/library_scale_plot.py [--results R] [--out docs/library_scale.svg]

Two panels against library size (log scale): the cost of identifying a 60-minute episode (in
times real time, log scale, higher is faster: per CPU-second, which the shared machine's load
barely moves, and wall; Olaf with one query thread) and recall (0/-6 dB, -12 dB,
speed-changed; ours solid, Olaf dashed). Hand-written SVG keeps the benchmarks free of
a plotting dependency for two line charts.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 420, 300, 56, 16, 34, 46
LEGEND_H = 50  # legends go under the charts, two columns, never over a line
COLORS = {"ours": "#1f77b4", "olaf": "#d62728", "recall_loud": "#1f77b4", "recall_m12": "#2ca02c",
          "recall_speed": "#ff7f0e"}


def _panel(x0: int, title: str, xs: list[float], series: list[tuple[str, list, str, bool]],
           y_max: float, y_label: str, y_ticks: list[float] | None = None) -> list[str]:
    """One chart; ``y_ticks`` makes the y axis logarithmic over those ticks (else linear 0..y_max)."""
    lo, hi = math.log10(min(xs)) - 0.1, math.log10(max(xs)) + 0.1
    if hi - lo < 0.5:
        lo, hi = lo - 0.3, hi + 0.3

    def px(x: float) -> float:
        return x0 + PAD_L + (math.log10(x) - lo) / (hi - lo) * (W - PAD_L - PAD_R)

    def py(y: float) -> float:
        if y_ticks:
            lo_y, hi_y = math.log10(y_ticks[0]), math.log10(y_ticks[-1])
            frac = (math.log10(max(y, y_ticks[0])) - lo_y) / (hi_y - lo_y)
        else:
            frac = y / y_max
        return PAD_T + (1 - frac) * (H - PAD_T - PAD_B)

    bottom = py(y_ticks[0] if y_ticks else 0)
    out = [f'<text x="{x0 + W / 2}" y="18" text-anchor="middle" font-weight="bold">{title}</text>',
           f'<line x1="{x0 + PAD_L}" y1="{bottom}" x2="{x0 + W - PAD_R}" y2="{bottom}" stroke="black"/>',
           f'<line x1="{x0 + PAD_L}" y1="{PAD_T}" x2="{x0 + PAD_L}" y2="{bottom}" stroke="black"/>',
           f'<text x="{x0 + 14}" y="{(PAD_T + H - PAD_B) / 2}" transform="rotate(-90 {x0 + 14} '
           f'{(PAD_T + H - PAD_B) / 2})" text-anchor="middle">{y_label}</text>',
           f'<text x="{x0 + (W + PAD_L) / 2}" y="{H - 8}" text-anchor="middle">library tracks (log scale)</text>']
    for y in y_ticks or [y_max * k / 4 for k in range(5)]:
        out.append(f'<line x1="{x0 + PAD_L}" y1="{py(y):.1f}" x2="{x0 + W - PAD_R}" y2="{py(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 + PAD_L - 4}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
    for x in xs:
        out.append(f'<text x="{px(x):.1f}" y="{bottom + 16}" text-anchor="middle">{x:,.0f}</text>')
    for i, (name, ys, color, dashed) in enumerate(series):
        pts = [(px(x), py(y)) for x, y in zip(xs, ys, strict=True) if y is not None]
        if not pts:
            continue
        dash = ' stroke-dasharray="5,4"' if dashed else ""
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="'
                   + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
        out += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"/>' for a, b in pts]
        ly, lx = H + 8 + 14 * (i // 2), x0 + PAD_L + 170 * (i % 2)
        out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 20}" y2="{ly}" stroke="{color}" '
                   f'stroke-width="2"{dash}/><text x="{lx + 24}" y="{ly + 4}">{name}</text>')
    return out


def render(runs: list[dict]) -> str:
    """The runs of one engine commit, the one measured at the most library sizes (the newest of
    those on a tie): a curve across engine versions would mix a code change into the trend."""
    runs = sorted((r for r in runs if "query_x_realtime" in r), key=lambda r: r["tracks"])
    by_commit: dict[str, list[dict]] = {}
    for r in runs:
        by_commit.setdefault(r.get("details", {}).get("engine_commit", ""), []).append(r)
    commit = max(by_commit, key=lambda c: (len({r["tracks"] for r in by_commit[c]}),
                                           max(r.get("details", {}).get("run_utc", "") for r in by_commit[c])))
    runs = by_commit[commit]
    xs = [float(r["tracks"]) for r in runs]
    olaf = [r.get("olaf", {}) for r in runs]
    seconds = [r.get("details", {}).get("episode_minutes", 60.0) * 60 for r in runs]
    olaf_cpu = [o.get("details", {}).get("query_cpu_s") for o in olaf]
    speed = [("ours per CPU-s", [r.get("details", {}).get("query_x_realtime_per_cpu_s") for r in runs],
              COLORS["ours"], False),
             ("ours, wall", [r["query_x_realtime"] for r in runs], "#9ecae1", False),
             ("Olaf per CPU-s", [round(t / c, 1) if c else None for t, c in zip(seconds, olaf_cpu, strict=True)],
              COLORS["olaf"], True),
             ("Olaf, wall", [o.get("query_x_realtime_1_thread") for o in olaf], "#fcae91", True)]
    ticks = [3.0, 10.0, 30.0, 100.0, 300.0, 1000.0]
    recall = []
    for key, label in (("recall_loud", "0/-6 dB"), ("recall_m12", "-12 dB"), ("recall_speed", "speed-changed")):
        recall.append((f"{label}", [r.get(key) for r in runs], COLORS[key], False))
    for key, label in (("recall_loud", "Olaf 0/-6 dB"), ("recall_speed", "Olaf speed")):
        recall.append((label, [o.get(key) for o in olaf], COLORS[key], True))
    body = _panel(0, f"Speed on a 60-min episode (engine {commit})", xs, speed, ticks[-1],
                  "x real time (log)", ticks)
    body += _panel(W, "Recall of excerpts of 8 s or more", xs, recall, 1.0, "recall")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H + LEGEND_H}" font-family="sans-serif" '
            f'font-size="11"><rect width="100%" height="100%" fill="white"/>' + "".join(body) + "</svg>\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "library_scale.json")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "library_scale.svg")
    args = ap.parse_args(argv)
    args.out.write_text(render(json.loads(args.results.read_text())))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
