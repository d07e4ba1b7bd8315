"""The timeline: ruler in program timecode, waveform, one block per cue, the playhead.

A custom-painted QWidget (one painter pass, no scene graph): with 2,000 cues
only the visible ones are painted (``CueLayout.visible``), the lane layout and
snap targets are rebuilt once per change rather than per paint, and the
waveform is rendered once per zoom/scroll position into a cached pixmap.

Mouse: drag an edge to trim, the body to move, empty space to create; click /
Ctrl / Shift select; double-click edits; wheel scrolls; Ctrl+wheel zooms
around the pointer; clicking the ruler seeks. Every drag is one undo step
(its edits share a merge key). Snapping (cue edges, playhead, engine event
boundaries, within ``SNAP_PX``) is on by default; holding Shift inverts it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from cuesheet_app.domain import edits
from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import Cue
from cuesheet_app.ui import shortcuts
from cuesheet_app.ui.document import ProjectDocument
from cuesheet_app.ui.timeline.layout import CueLayout, SnapIndex, ruler_step, ruler_ticks
from cuesheet_app.ui.timeline.operations import CueOperations

RULER_H = 24
LANE_H = 30
LANE_GAP = 3
EDGE_PX = 5  # grab distance for a block's edge
SNAP_PX = 8
DRAG_START_PX = 3
MIN_WAVE_H = 60

COLOURS = {
    "identified": QColor(62, 142, 88),
    "unidentified": QColor(214, 128, 34),
    "inactive": QColor(150, 150, 150),
    "selected": QColor(30, 110, 230),
    "playhead": QColor(220, 30, 40),
    "snap": QColor(255, 200, 0),
    "wave": QColor(90, 110, 140),
    "ruler_bg": QColor(236, 238, 242),
    "bg": QColor(250, 250, 252),
    "text": QColor(20, 20, 20),
}
_ALPHA_STEPS = 6  # confidence shown as one of a few opacities, so fills batch by colour


def _fill_colours() -> dict[tuple[str, int], QColor]:
    out = {}
    for kind in ("identified", "unidentified", "inactive"):
        for step in range(_ALPHA_STEPS + 1):
            colour = QColor(COLOURS[kind])
            # no confidence known (manual cues) uses the top step: fully trusted
            colour.setAlphaF(0.4 + 0.55 * step / _ALPHA_STEPS)
            out[(kind, step)] = colour
    return out


_FILL_COLOURS = _fill_colours()
_FILL_KEYS = list(_FILL_COLOURS)
_FILL_LIST = [_FILL_COLOURS[k] for k in _FILL_KEYS]
_GROUP_OF = {k: i for i, k in enumerate(_FILL_KEYS)}
_EDGE_PEN = QPen(QColor(0, 0, 0, 90), 1)
_SELECTED_PEN = QPen(COLOURS["selected"], 2)
_STRIKE_PEN = QPen(QColor(60, 60, 60), 1)
_ACTIVE_EDGE_PEN = QPen(QColor(255, 170, 0), 3)
_BAR_COLOUR = QColor(20, 40, 90, 160)


@dataclass
class _CueStyles:
    """Per-cue drawing data in layout order, as arrays for the vectorised paint path."""

    starts: np.ndarray
    ends: np.ndarray
    lanes: np.ndarray
    groups: np.ndarray  # index into _FILL_LIST
    confs: np.ndarray  # -1 where no confidence is known
    index: dict[str, int]

    @classmethod
    def build(cls, layout: CueLayout, memo: dict[str, tuple[int, float]]) -> _CueStyles:
        """``memo`` (cue id -> group, confidence) survives drags, which only change times."""
        cues = layout.cues
        looks = []
        for cue in cues:
            look = memo.get(cue.id)
            if look is None:
                kind = "inactive" if not cue.active else ("identified" if cue.identified else "unidentified")
                conf = _confidence(cue)
                group = _GROUP_OF[(kind, _ALPHA_STEPS if conf is None else round(conf * _ALPHA_STEPS))]
                look = memo[cue.id] = (group, -1.0 if conf is None else conf)
            looks.append(look)
        n = len(cues)
        return cls(np.fromiter((c.start for c in cues), dtype=np.float64, count=n),
                   np.fromiter((c.end for c in cues), dtype=np.float64, count=n),
                   np.array(layout.lanes, dtype=np.int64),
                   np.fromiter((g for g, _c in looks), dtype=np.int64, count=n),
                   np.fromiter((c for _g, c in looks), dtype=np.float64, count=n),
                   {c.id: i for i, c in enumerate(cues)})


@dataclass
class _Drag:
    kind: str  # "trim-start", "trim-end", "move", "create", "ruler", "pending-create"
    cue_ids: list[str]
    press_x: float
    press_frame: int
    origin: int  # grabbed frame of the cue (edge or start) when the drag began
    key: str
    moved: bool = False
    created_id: str | None = None


class TimelineWidget(QWidget):
    """The painted timeline over a ProjectDocument (selection shared with the table)."""

    seekRequested = Signal(float)
    zoomChanged = Signal(float)  # seconds per pixel

    def __init__(self, document: ProjectDocument, operations: CueOperations | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.ops = operations or CueOperations(document, self)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.snapping = True
        self.time_display = tc.TimeDisplay.TIMECODE  # block tooltips read like the cue table (Settings)
        self.peaks: Any = None
        self.seconds_per_pixel = 0.5
        self.x0_s = 0.0  # seconds at the left edge
        self._layout: CueLayout | None = None
        self._snap_index: SnapIndex | None = None
        self._event_frames: dict[tuple[str, str], int] = {}
        self._selected: set[str] = set(document.selection)
        self._anchor: str | None = None
        self._drag: _Drag | None = None
        self._drag_serial = 0
        self._snap_line: int | None = None
        self._wave_cache: tuple[tuple[Any, ...], QPixmap] | None = None
        self._cue_cache: tuple[tuple[Any, ...], QPixmap] | None = None
        self._content_version = 0  # bumped whenever what the cue layer shows may have changed
        self._style_cache: tuple[int, _CueStyles] | None = None
        self._data_version = 0  # bumped when cues change (not on selection changes)
        self._style_memo: dict[str, tuple[int, float]] = {}
        self._font = QFont(self.font())
        self._font.setPointSizeF(max(7.0, self._font.pointSizeF() * 0.9))
        self._metrics = QFontMetrics(self._font)
        self._fitted_once = False
        document.sheetReplaced.connect(self._on_sheet_replaced)
        document.cuesChanged.connect(self._on_cues_changed)
        document.cueFieldsChanged.connect(self._on_fields_changed)
        document.headerChanged.connect(self._invalidate)
        document.selectionChanged.connect(self._on_selection_changed)

    # --- API --------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(900, self.wave_top() + MIN_WAVE_H * 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, RULER_H + LANE_H * 2)

    def set_peaks(self, peaks: Any) -> None:
        """Waveform peaks (``media.peaks.Peaks``) or None."""
        self.peaks = peaks
        self._wave_cache = None
        self._content_version += 1  # lanes may get shorter to leave the waveform room
        self.update()

    def set_playhead(self, seconds: float) -> None:
        """Move the playhead; during playback the view pages along when it runs off the right."""
        old = self.ops.playhead_s
        self.ops.playhead_s = max(0.0, float(seconds))
        old_x, new_x = self.x_of_seconds(old), self.x_of_seconds(self.ops.playhead_s)
        width = self.width()
        if self._drag is None and 0 <= old_x <= width and width - 8 < new_x < width + 0.2 * width:
            self.x0_s = self.ops.playhead_s - 0.1 * width * self.seconds_per_pixel
            self._changed_view()
            return
        for x in (old_x, new_x):
            self.update(QRect(int(x) - 2, 0, 5, self.height()))

    def total_seconds(self) -> float:
        """What the timeline spans: the media, the program or the last cue, whichever is longest."""
        sheet = self.doc.sheet
        candidates = [float(sheet.seconds(sheet.header.program_duration))]
        for m in sheet.media[:1]:
            with contextlib.suppress(ValueError, ZeroDivisionError):
                candidates.append(float(tc.to_fraction(m.duration_s)))
        if self.peaks is not None:
            candidates.append(float(getattr(self.peaks, "duration_s", 0.0)))
        if sheet.cues:
            candidates.append(float(sheet.seconds(max(c.end for c in sheet.cues))))
        return max(60.0, *candidates)

    def zoom_to_fit(self) -> None:
        width = max(50, self.width())
        self.seconds_per_pixel = self.total_seconds() * 1.02 / width
        self.x0_s = 0.0
        self._changed_view()

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        """Zoom by ``factor`` (>1 zooms in) keeping the time under ``anchor_x`` in place."""
        anchor_x = self.width() / 2 if anchor_x is None else anchor_x
        anchor_s = self.seconds_at(anchor_x)
        fps = float(self.doc.sheet.rate.fps)
        lo = 1 / (fps * 24)  # 24 px per frame at most
        hi = max(lo, self.total_seconds() * 1.5 / max(50, self.width()))
        self.seconds_per_pixel = min(hi, max(lo, self.seconds_per_pixel / factor))
        self.x0_s = anchor_s - anchor_x * self.seconds_per_pixel
        self._clamp_scroll()
        self._changed_view()

    def scroll_by_pixels(self, dx: float) -> None:
        self.x0_s += dx * self.seconds_per_pixel
        self._clamp_scroll()
        self._changed_view()

    def ensure_visible(self, cue_id: str) -> None:
        try:
            cue = self.doc.sheet.cue_by_id(cue_id)
        except KeyError:
            return
        s0, s1 = (float(self.doc.sheet.seconds(f)) for f in (cue.start, cue.end))
        view = self.width() * self.seconds_per_pixel
        if s1 < self.x0_s or s0 > self.x0_s + view:
            self.x0_s = max(0.0, s0 - view * 0.2)
            self._changed_view()

    # --- coordinates -----------------------------------------------------
    def x_of_seconds(self, seconds: float) -> float:
        return (seconds - self.x0_s) / self.seconds_per_pixel

    def x_of_frame(self, frame: int) -> float:
        return self.x_of_seconds(frame * self._spf)

    def seconds_at(self, x: float) -> float:
        return self.x0_s + x * self.seconds_per_pixel

    def frame_at(self, x: float) -> int:
        """Nearest whole frame under a pixel column (edits land on frames)."""
        return max(0, round(self.seconds_at(x) / self._spf))

    @property
    def _spf(self) -> float:
        rate = self.doc.sheet.rate
        return rate.den / rate.num

    def wave_top(self) -> int:
        """The waveform band starts under the cue lanes."""
        return RULER_H + 6 + self.layout().lane_count * (self.lane_h + LANE_GAP)

    @property
    def lane_h(self) -> int:
        """Lane height: LANE_H, squeezed (down to 10 px) when many overlapping cues need lanes."""
        room = self.height() - RULER_H - 6 - (MIN_WAVE_H // 2 if self.peaks is not None else 0)
        return max(10, min(LANE_H, room // self.layout().lane_count - LANE_GAP))

    def lane_rect(self, lane: int) -> QRectF:
        top = RULER_H + 4 + lane * (self.lane_h + LANE_GAP)
        return QRectF(0, top, self.width(), self.lane_h)

    def cue_rect(self, cue: Cue) -> QRectF:
        lane = self.layout().lane_of.get(cue.id, 0)
        x0 = self.x_of_frame(cue.start)
        x1 = self.x_of_frame(cue.end)
        r = self.lane_rect(lane)
        return QRectF(x0, r.top(), max(1.0, x1 - x0), r.height())

    def layout(self) -> CueLayout:  # type: ignore[override]
        if self._layout is None:
            self._layout = CueLayout.build(self.doc.sheet.cues)
        return self._layout

    def snap_index(self) -> SnapIndex:
        if self._snap_index is None:
            self._snap_index = SnapIndex.build(self.doc.sheet, self._event_frames)
        return self._snap_index

    def cue_at(self, pos: QPointF) -> tuple[Cue | None, str]:
        """The cue under a point and the part hit: "start", "end" or "body".

        The cue the pointer is inside wins (its edges count within EDGE_PX, or a
        quarter of its width when it is narrow); outside every cue, an edge within
        EDGE_PX is still grabbed, so a thin cue can be widened.
        """
        if pos.y() < RULER_H:
            return None, ""
        lay = self.layout()
        x = pos.x()
        frame_lo = self.frame_at(x - EDGE_PX)
        frame_hi = self.frame_at(x + EDGE_PX)
        near: tuple[float, Cue, str] | None = None
        for i in lay.visible(frame_lo, frame_hi):
            cue = lay.cues[i]
            r = self.cue_rect(cue)
            if not (r.top() <= pos.y() <= r.bottom()):
                continue
            if r.left() <= x <= r.right():
                zone = min(float(EDGE_PX), r.width() / 4)
                if x - r.left() <= zone and x - r.left() < r.right() - x:
                    return cue, "start"
                if r.right() - x <= zone:
                    return cue, "end"
                return cue, "body"
            for dist, part in ((abs(x - r.right()), "end"), (abs(x - r.left()), "start")):
                if dist <= EDGE_PX and (near is None or dist < near[0]):
                    near = (dist, cue, part)
        return (near[1], near[2]) if near else (None, "")

    # --- document --------------------------------------------------------
    def _invalidate(self) -> None:
        self._content_version += 1
        self._data_version += 1
        lanes = self._layout.lane_count if self._layout is not None else None
        self._layout = None
        if self._drag is None:
            # While dragging, the only edges that move are the dragged cues', which are
            # excluded from snapping anyway: keep the index until the drag ends.
            self._snap_index = None
        if lanes != self.layout().lane_count:
            self.updateGeometry()
        self.update()

    def _on_cues_changed(self) -> None:
        if self._drag is None:  # a merge or an undo may reuse a cue id with another look
            self._style_memo.clear()
        self._invalidate()

    def _on_fields_changed(self, cue_id: str, names: list[str]) -> None:
        if not set(names) <= {"start", "end"}:
            self._style_memo.pop(cue_id, None)  # colour or confidence may have changed
        if {"start", "end", "provenance"} & set(names):
            self._invalidate()
        else:
            self._content_version += 1
            self._data_version += 1
            self.update()

    def _on_sheet_replaced(self) -> None:
        self._selected = set()
        self._style_memo.clear()
        self._invalidate()
        self.zoom_to_fit()

    def _on_selection_changed(self, ids: list[str]) -> None:
        self._selected = set(ids)
        self._content_version += 1
        if len(ids) == 1 and self._drag is None:
            self.ensure_visible(ids[0])
        self.update()

    def _changed_view(self) -> None:
        self.zoomChanged.emit(self.seconds_per_pixel)
        self.update()

    def _clamp_scroll(self) -> None:
        view = self.width() * self.seconds_per_pixel
        self.x0_s = max(0.0, min(self.x0_s, max(0.0, self.total_seconds() - view * 0.5)))

    # --- painting ----------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._fitted_once and self.width() > 50:
            self._fitted_once = True
            self.zoom_to_fit()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        clip = event.rect()
        p.fillRect(clip, COLOURS["bg"])
        self._paint_waveform(p)
        if not self.doc.sheet.cues:
            p.setPen(QColor(120, 120, 130))
            p.drawText(QRect(0, RULER_H, self.width(), LANE_H * 2), Qt.AlignmentFlag.AlignCenter,
                       "No cues yet: identify the episode, or drag here to add one")
        self._paint_cue_layer(p)
        self._paint_ruler(p, clip)
        self._paint_playhead(p)
        if self._snap_line is not None:
            x = self.x_of_frame(self._snap_line)
            p.setPen(QPen(COLOURS["snap"], 1, Qt.PenStyle.DashLine))
            p.drawLine(QLineF(x, RULER_H, x, self.height()))
        p.end()

    def _paint_cue_layer(self, p: QPainter) -> None:
        """The cue blocks, from a pixmap kept until the cues, selection or view change.

        Playback moves the playhead many times a second; those repaints (and any
        other that leaves the cues alone) then cost one pixmap blit.
        """
        dpr = self.devicePixelRatioF()
        key = (self._content_version, self.x0_s, self.seconds_per_pixel, self.width(), self.height(), dpr,
               self.ops.active_edge)
        if self._cue_cache is None or self._cue_cache[0] != key:
            pix = QPixmap(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)))
            pix.setDevicePixelRatio(dpr)
            pix.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pix)
            self._paint_cues(painter, self.rect())
            painter.end()
            self._cue_cache = (key, pix)
        p.drawPixmap(0, 0, self._cue_cache[1])

    def _paint_ruler(self, p: QPainter, clip: QRect) -> None:
        p.fillRect(QRect(0, 0, self.width(), RULER_H), COLOURS["ruler_bg"])
        p.setPen(QColor(120, 120, 130))
        p.drawLine(0, RULER_H - 1, self.width(), RULER_H - 1)
        step = int(ruler_step(self.seconds_per_pixel))
        ticks = ruler_ticks(self.doc.sheet, self.frame_at(0) - 1, self.frame_at(self.width()) + 1, step)
        p.setFont(self._font)
        minor_px = step / 5 / self.seconds_per_pixel
        lines: list[QLineF] = []
        for frame, label in ticks:
            x = self.x_of_frame(frame)
            lines.append(QLineF(x, RULER_H - 10, x, RULER_H - 1))
            for k in range(1, 5):
                xm = x + k * minor_px
                lines.append(QLineF(xm, RULER_H - 4, xm, RULER_H - 1))
            p.drawText(QPointF(x + 3, RULER_H - 11), label)
        p.drawLines(lines)

    def _paint_playhead(self, p: QPainter) -> None:
        x = self.x_of_seconds(self.ops.playhead_s)
        if -2 <= x <= self.width() + 2:
            p.setPen(QPen(COLOURS["playhead"], 2))
            p.drawLine(QLineF(x, 0, x, self.height()))

    def _paint_waveform(self, p: QPainter) -> None:
        if self.peaks is None:
            return
        top = self.wave_top()
        h = max(MIN_WAVE_H // 2, self.height() - top)
        key = (id(self.peaks), round(self.x0_s, 9), round(self.seconds_per_pixel, 12), self.width(), h)
        if self._wave_cache is None or self._wave_cache[0] != key:
            self._wave_cache = (key, self._render_waveform(self.width(), h))
        p.drawPixmap(0, top, self._wave_cache[1])

    def _render_waveform(self, width: int, height: int) -> QPixmap:
        pix = QPixmap(max(1, width), max(1, height))
        pix.fill(Qt.GlobalColor.transparent)
        level = self.peaks.level_for(self.seconds_per_pixel)
        n = len(level.mins)
        if n == 0:
            return pix
        bucket_s = level.samples_per_bucket / self.peaks.sample_rate
        # Bucket index at each pixel's left edge; reduceat gives min/max over each pixel's
        # buckets, or the one bucket under it when buckets are wider than pixels.
        edges = ((self.x0_s + np.arange(width + 1) * self.seconds_per_pixel) / bucket_s).astype(np.int64)
        stop = int(min(n, max(edges[-1], 0) + 1))
        if stop <= 0:
            return pix
        starts = np.clip(edges[:-1], 0, stop - 1)
        mins = np.minimum.reduceat(level.mins[:stop], starts)
        maxs = np.maximum.reduceat(level.maxs[:stop], starts)
        xs = np.nonzero((edges[:-1] >= 0) & (edges[:-1] < n))[0]
        mid = height / 2
        scale = height / 2 * 0.95
        painter = QPainter(pix)
        painter.setPen(QPen(COLOURS["wave"], 1))
        y0 = mid - np.clip(maxs[xs], -1, 1) * scale
        y1 = mid - np.clip(mins[xs], -1, 1) * scale
        painter.drawLines([QLineF(float(x), float(a), float(x), float(b)) for x, a, b in zip(xs, y0, y1, strict=True)])
        painter.end()
        return pix

    def _styles(self) -> _CueStyles:
        """Per-cue colour group and confidence as arrays (rebuilt once per change, not per paint)."""
        version = self._data_version
        if self._style_cache is None or self._style_cache[0] != version:
            self._style_cache = (version, _CueStyles.build(self.layout(), self._style_memo))
        return self._style_cache[1]

    def _paint_cues(self, p: QPainter, clip: QRect) -> None:
        """Visible cues, batched: one drawRects per fill colour, outline and bar kind.

        Blocks narrower than 3 px (the whole-episode view) are placed with numpy and
        merged per pixel column, so 2,000 cues cost a few dozen painter calls; wider
        blocks get outlines, confidence bars and labels in a plain loop.
        """
        lay = self.layout()
        lh = self.lane_h
        vis = lay.visible(self.frame_at(clip.left() - 1), self.frame_at(clip.right() + 1))
        if not len(vis):
            return
        lo, hi = vis.start, vis.stop
        st = self._styles()
        spf, x0_s, spp = self._spf, self.x0_s, self.seconds_per_pixel
        xs0 = (st.starts[lo:hi] * spf - x0_s) / spp
        xs1 = (st.ends[lo:hi] * spf - x0_s) / spp
        widths = np.maximum(1.0, xs1 - xs0)
        lanes = st.lanes[lo:hi]
        groups = st.groups[lo:hi]
        selected = np.zeros(hi - lo, dtype=bool)
        for cue_id in self._selected:
            k = st.index.get(cue_id)
            if k is not None and lo <= k < hi:
                selected[k - lo] = True
        narrow = (widths < 3) & ~selected
        fills: dict[int, list[QRectF]] = {}
        if narrow.any():
            idx = np.nonzero(narrow)[0]
            px = np.floor(xs0[idx]).astype(np.int64)
            # one 1-px sliver per (lane, pixel column, colour) is all the eye can see
            key = (lanes[idx].astype(np.int64) * (1 << 20) + (px + (1 << 16))) * 64 + groups[idx]
            _u, first = np.unique(key, return_index=True)
            keep = idx[first]
            tops = RULER_H + 4 + lanes[keep] * (lh + LANE_GAP)
            for g, x, w, t in zip(groups[keep].tolist(), xs0[keep].tolist(), widths[keep].tolist(),
                                  tops.tolist(), strict=True):
                fills.setdefault(g, []).append(QRectF(x, t, w, lh))
        outlines: list[QRectF] = []
        selected_rects: list[QRectF] = []
        bars: list[QRectF] = []
        strikes: list[QLineF] = []
        labels: list[tuple[QPointF, str]] = []
        fm = self._metrics
        width = self.width()
        ascent, descent = fm.ascent(), fm.descent()
        for k in np.nonzero(~narrow)[0].tolist():
            i = lo + k
            cue = lay.cues[i]
            x0, x1, w = float(xs0[k]), float(xs1[k]), float(widths[k])
            top = RULER_H + 4 + int(lanes[k]) * (lh + LANE_GAP)
            rect = QRectF(x0, top, w, lh)
            fills.setdefault(int(groups[k]), []).append(rect)
            if selected[k]:
                selected_rects.append(rect.adjusted(0.5, 0.5, -0.5, -0.5) if w >= 3 else rect.adjusted(-1, 0, 1, 0))
            elif w >= 3:
                outlines.append(rect.adjusted(0.5, 0.5, -0.5, -0.5))
            conf = float(st.confs[i])
            if conf >= 0 and w >= 6:  # confidence bar along the bottom
                bars.append(QRectF(x0 + 1, top + lh - 4, (w - 2) * conf, 3))
            if not cue.active and w >= 3:
                strikes.append(QLineF(max(x0, -2.0), top + lh / 2, min(x1, width + 2.0), top + lh / 2))
            if w >= 24 and lh >= fm.height():
                vis_left = max(x0, 0.0) + 4
                avail = int(min(x1, width) - vis_left - 3)
                if avail > 12:
                    text = block_label(fm, str(cue.cue_number or cue.seq or ""), cue.title, avail)
                    labels.append((QPointF(vis_left, top + (lh + ascent - descent) / 2 - 1), text))
        p.setPen(Qt.PenStyle.NoPen)
        for g, rects in fills.items():
            p.setBrush(_FILL_LIST[g])
            p.drawRects(rects)
        p.setBrush(Qt.BrushStyle.NoBrush)
        if outlines:
            p.setPen(_EDGE_PEN)
            p.drawRects(outlines)
        if bars:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(_BAR_COLOUR)
            p.drawRects(bars)
            p.setBrush(Qt.BrushStyle.NoBrush)
        if selected_rects:
            p.setPen(_SELECTED_PEN)
            p.drawRects(selected_rects)
            self._paint_active_edge(p, lay)
        if labels:
            p.setFont(self._font)
            p.setPen(COLOURS["text"])
            for point, text in labels:
                p.drawText(point, text)
        if strikes:
            p.setPen(_STRIKE_PEN)
            p.drawLines(strikes)

    def _paint_active_edge(self, p: QPainter, lay: CueLayout) -> None:
        """The edge that , and . will nudge, when one cue is selected."""
        edge = self.ops.active_edge
        if not edge or len(self._selected) != 1:
            return
        cue_id = next(iter(self._selected))
        k = self._styles().index.get(cue_id)
        if k is None:
            return
        cue = lay.cues[k]
        x = self.x_of_frame(getattr(cue, edge))
        lh = self.lane_h
        top = RULER_H + 4 + lay.lanes[k] * (lh + LANE_GAP)
        p.setPen(_ACTIVE_EDGE_PEN)
        p.drawLine(QLineF(x, top - 2, x, top + lh + 2))

    # --- mouse -----------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            # the context menu acts on the cue under the pointer (or on the selection it is in)
            cue, _part = self.cue_at(event.position())
            if cue is not None and cue.id not in self.doc.selection:
                self.doc.set_selection([cue.id])
            return super().mousePressEvent(event)
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = event.position()
        frame = self.frame_at(pos.x())
        self._drag_serial += 1
        key = f"drag-{id(self)}-{self._drag_serial}"
        if pos.y() < RULER_H:
            self._drag = _Drag("ruler", [], pos.x(), frame, frame, key)
            self._seek_to(pos.x())
            return
        cue, part = self.cue_at(pos)
        mods = event.modifiers()
        if cue is None:
            if not mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
                self.doc.set_selection([])
            self._drag = _Drag("pending-create", [], pos.x(), frame, frame, key)
            return
        self._click_select(cue, mods)
        self.ops.end_nudge_run()
        if part in ("start", "end"):
            self.ops.active_edge = part
            self._drag = _Drag(f"trim-{part}", [cue.id], pos.x(), frame, getattr(cue, part), key)
        else:
            self.ops.active_edge = None
            ids = self.doc.selection if cue.id in self.doc.selection else [cue.id]
            self._drag = _Drag("move", ids, pos.x(), frame, cue.start, key)

    def _click_select(self, cue: Cue, mods: Qt.KeyboardModifier) -> None:
        current = self.doc.selection
        if mods & Qt.KeyboardModifier.ControlModifier:
            ids = [i for i in current if i != cue.id] if cue.id in current else [*current, cue.id]
            self._anchor = cue.id
        elif mods & Qt.KeyboardModifier.ShiftModifier and self._anchor:
            order = [c.id for c in self.doc.sheet.cues]
            try:
                a, b = sorted((order.index(self._anchor), order.index(cue.id)))
            except ValueError:
                a = b = order.index(cue.id)
            ids = order[a:b + 1]
        elif cue.id in current:
            ids = current  # keep a multi-selection so it can be dragged together
        else:
            ids = [cue.id]
            self._anchor = cue.id
        self.doc.set_selection(ids)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        drag = self._drag
        if drag is None:
            self._update_cursor(pos)
            return
        if not drag.moved and abs(pos.x() - drag.press_x) < DRAG_START_PX:
            return
        drag.moved = True
        invert = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if drag.kind == "ruler":
            self._seek_to(pos.x())
            return
        frame = self.frame_at(pos.x())
        sheet = self.doc.sheet
        exclude = set(drag.cue_ids)
        if drag.kind in ("trim-start", "trim-end"):
            target = self._snapped(drag.origin + frame - drag.press_frame, exclude, invert)
            edge = drag.kind[5:]
            cue = sheet.cue_by_id(drag.cue_ids[0])
            target = max(cue.start + 1, target) if edge == "end" else min(cue.end - 1, max(0, target))
            if target != getattr(cue, edge):
                self.ops.push(lambda: edits.trim(sheet, cue.id, **{edge: target}), drag.key)
        elif drag.kind == "move":
            grabbed = sheet.cue_by_id(drag.cue_ids[0]) if drag.cue_ids else None
            if grabbed is None:
                return
            want_start = drag.origin + frame - drag.press_frame
            length = grabbed.end - grabbed.start
            options = []
            for edge_frame, offset in ((want_start, 0), (want_start + length, length)):
                target = self._snap_target(edge_frame, exclude, invert)
                if target is not None:
                    options.append((abs(target - edge_frame), target - offset, target))
            if options:
                _dist, new_start, self._snap_line = min(options)
            else:
                new_start, self._snap_line = want_start, None
            delta = max(0, new_start) - grabbed.start
            if delta:
                self.ops.push(lambda: edits.move(sheet, drag.cue_ids, delta), drag.key)
            self.update()
        elif drag.kind in ("pending-create", "create"):
            a = self._snapped(drag.press_frame, set(), invert, report=False)
            b = self._snapped(frame, exclude, invert)
            lo, hi = min(a, b), max(a, b)
            if hi <= lo:
                return
            if drag.kind == "pending-create":
                cue = edits.new_manual_cue(lo, hi)
                cue.title = f"New cue {len(sheet.cues) + 1}"
                if self.ops.push(lambda: edits.add_cue(sheet, cue), drag.key):
                    drag.kind, drag.created_id, drag.cue_ids = "create", cue.id, [cue.id]
                    self.doc.set_selection([cue.id])
            else:
                assert drag.created_id is not None
                cur = sheet.cue_by_id(drag.created_id)
                if (cur.start, cur.end) != (lo, hi):
                    self.ops.push(lambda: edits.trim(sheet, cur.id, start=lo, end=hi), drag.key)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            if self._drag is not None and self._drag.moved:
                self._snap_index = None
            self._drag = None
            if self._snap_line is not None:
                self._snap_line = None
                self.update()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        cue, _part = self.cue_at(event.position())
        if cue is not None:
            self.doc.set_selection([cue.id])
            self.ops.edit_selected()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        steps = (delta.y() or delta.x()) / 120
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.25 ** steps, event.position().x())
        else:
            self.scroll_by_pixels(-steps * self.width() / 10)
        event.accept()

    def _seek_to(self, x: float) -> None:
        seconds = max(0.0, self.seconds_at(x))
        self.set_playhead(seconds)
        self.seekRequested.emit(seconds)

    def _snap_target(self, frame: int, exclude: set[str], invert: bool) -> int | None:
        """The snap target within SNAP_PX of ``frame``, or None (also when snapping is off)."""
        if self.snapping == invert:  # Shift inverts the setting
            return None
        tolerance = max(1, round(SNAP_PX * self.seconds_per_pixel / self._spf))
        return self.snap_index().snap(frame, tolerance, exclude, (self.ops.playhead_frame,))

    def _snapped(self, frame: int, exclude: set[str], invert: bool, report: bool = True) -> int:
        """``frame`` moved to the nearest snap target, when snapping applies."""
        frame = max(0, frame)
        target = self._snap_target(frame, exclude, invert)
        if report:
            self._snap_line = target
            self.update()
        return frame if target is None else target

    def _update_cursor(self, pos: QPointF) -> None:
        cue, part = self.cue_at(pos)
        if part in ("start", "end"):
            self.setCursor(Qt.CursorShape.SizeHorCursor)
        elif part == "body":
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif pos.y() < RULER_H:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.setCursor(Qt.CursorShape.CrossCursor)
        if cue is not None:
            conf = _confidence(cue)
            sheet, shown = self.doc.sheet, self.time_display
            if shown is tc.TimeDisplay.TIMECODE:
                start, end = sheet.timecode_at(cue.start), sheet.timecode_at(cue.end)
            else:
                offset = sheet.program_offset_frames()
                start = tc.format_length(cue.start - offset, sheet.rate, shown)
                end = tc.format_length(cue.end - offset, sheet.rate, shown)
            self.setToolTip(
                f"{cue.cue_number or cue.seq}  {cue.title}\n"
                f"{start} – {end}  ({tc.format_length(cue.duration, sheet.rate, shown)} {shown.hint})"
                + (f"\nconfidence {round(conf * 100)} %" if conf is not None else "")
                + ("" if cue.active else "\ninactive")
            )
        else:
            self.setToolTip("")

    # --- keys --------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        seq = QKeySequence(event.keyCombination())
        ops = self.ops
        table = [
            ("cue.split", ops.split_at_playhead),
            ("cue.merge", ops.merge_selected),
            ("cue.remove", ops.remove_selected),
            ("cue.deactivate", ops.delete_selected),
            ("cue.set_in", ops.set_in_from_playhead),
            ("cue.set_out", ops.set_out_from_playhead),
            ("cue.nudge_left_big", lambda: ops.nudge(-1, big=True)),
            ("cue.nudge_right_big", lambda: ops.nudge(1, big=True)),
            ("cue.nudge_left", lambda: ops.nudge(-1)),
            ("cue.nudge_right", lambda: ops.nudge(1)),
            ("cue.previous", lambda: ops.select_adjacent(-1)),
            ("cue.next", lambda: ops.select_adjacent(1)),
            ("cue.edit", ops.edit_selected),
            ("cue.play", ops.play_selected),
            ("view.zoom_fit", self.zoom_to_fit),
            ("view.zoom_in", lambda: self.zoom(1.5)),
            ("view.zoom_out", lambda: self.zoom(1 / 1.5)),
        ]
        for action_id, run in table:
            if shortcuts.matches(action_id, seq):
                run()
                event.accept()
                return
        super().keyPressEvent(event)


def block_label(fm: QFontMetrics, number: str, title: str, avail: int) -> str:
    """A block's text: the cue number whole, then as much of the title as fits.

    The title gives way first ("1M01a Harb…", then "1M01a"): a split cue is told apart from its
    neighbour by its number, and "1M0…" tells nothing.
    """
    if not number:
        return fm.elidedText(title, Qt.TextElideMode.ElideRight, avail)
    if fm.horizontalAdvance(number) > avail:
        return fm.elidedText(number, Qt.TextElideMode.ElideLeft, avail)  # the end tells split parts apart
    rest = avail - fm.horizontalAdvance(number + " ")
    if not title or rest < fm.horizontalAdvance("W…"):
        return number
    return f"{number} {fm.elidedText(title, Qt.TextElideMode.ElideRight, rest)}"


def _confidence(cue: Cue) -> float | None:
    prov = cue.provenance
    if prov.engine == "manual":
        return None
    value = prov.identification_confidence if prov.identification_confidence is not None else prov.detection_confidence
    return None if value is None else max(0.0, min(1.0, float(value)))
