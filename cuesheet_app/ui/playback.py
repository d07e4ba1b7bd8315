"""Playback of the open episode, and the playhead the timeline follows.

``Player`` wraps QMediaPlayer + QAudioOutput. Everything else sees only seconds
(float at the Qt boundary, where QMediaPlayer works in milliseconds anyway).
If Qt Multimedia cannot start, the player reports ``available == False`` with
the reason, and the rest of the app carries on without playback.

Shuttle (J/K/L): L plays forward, faster on each press (1x, 2x, 4x); K stops
the shuttle; J runs backwards by seeking on a timer, because most Qt
Multimedia backends cannot play at a negative rate.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QStyle, QToolButton, QWidget

from cuesheet_app.domain import timecode as tc
from cuesheet_app.domain.model import CueSheet

log = logging.getLogger(__name__)

SHUTTLE_SPEEDS = (1.0, 2.0, 4.0, 8.0)
_TICK_MS = 40


class Player(QObject):
    """The playhead: position in seconds from the start of the media file."""

    positionChanged = Signal(float)
    durationChanged = Signal(float)
    playingChanged = Signal(bool)
    availabilityChanged = Signal(bool, str)  # available, reason when not (or a warning)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player = None
        self._audio = None
        self._path: Path | None = None
        self._position = 0.0
        self._duration = 0.0
        self._range_end: float | None = None
        self._shuttle = 0.0  # >0 forward rate, <0 reverse speed, 0 off
        self._frame_s = 1 / 25
        self.available = False
        self.reason = ""
        self._tick = QTimer(self)
        self._tick.setInterval(_TICK_MS)
        self._tick.timeout.connect(self._on_tick)
        self._start_multimedia()

    # --- set-up ----------------------------------------------------------------------------
    def _start_multimedia(self) -> None:
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer
        except ImportError as exc:
            self._disable(f"Qt Multimedia is not installed ({exc})")
            return
        try:
            self._player = QMediaPlayer(self)
            if not QMediaDevices.audioOutputs():
                self.reason = "No audio output device: playback is silent"
            else:
                self._audio = QAudioOutput(self)
                self._player.setAudioOutput(self._audio)
        except Exception as exc:  # noqa: BLE001 - a broken multimedia stack must not stop the app
            self._disable(f"Qt Multimedia could not start ({exc})")
            return
        if not self._player.isAvailable():
            self._disable("Qt Multimedia has no playback backend on this system")
            return
        self.available = True
        self._player.positionChanged.connect(self._on_qt_position)
        self._player.durationChanged.connect(lambda ms: self._set_duration(ms / 1000.0))
        self._player.playbackStateChanged.connect(self._on_state)
        self._player.errorOccurred.connect(self._on_error)

    def _disable(self, reason: str) -> None:
        self.available = False
        self.reason = reason
        self._player = None
        log.info("Playback disabled: %s", reason)

    @property
    def media_player(self):  # type: ignore[no-untyped-def]
        """The QMediaPlayer (None when playback is disabled), e.g. to attach a video widget."""
        return self._player

    # --- media -----------------------------------------------------------------------------
    def load(self, path: Path | None, frame_rate: tc.FrameRate | None = None,
             duration_s: float | None = None) -> None:
        self.stop()
        self._path = path
        if frame_rate is not None:
            self._frame_s = float(1 / frame_rate.fps)
        self._position = 0.0
        if duration_s is not None:
            self._set_duration(duration_s)
        if self._player is None:
            self.positionChanged.emit(0.0)
            return
        if path is None:
            self._player.setSource(QUrl())
        else:
            self._player.setSource(QUrl.fromLocalFile(str(path)))
            if self.available and self.reason.startswith("Playback of"):
                self.reason = ""
                self.availabilityChanged.emit(True, "")
        self.positionChanged.emit(0.0)

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def frame_seconds(self) -> float:
        return self._frame_s

    def position(self) -> float:
        return self._position

    def duration(self) -> float:
        return self._duration

    def is_playing(self) -> bool:
        if self._shuttle < 0:
            return True
        if self._player is None:
            return False
        from PySide6.QtMultimedia import QMediaPlayer

        return self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    # --- transport -------------------------------------------------------------------------
    def seek(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        if self._duration > 0:
            seconds = min(seconds, self._duration)
        self._position = seconds
        if self._player is not None:
            self._player.setPosition(int(round(seconds * 1000)))
        self.positionChanged.emit(seconds)

    def play(self) -> None:
        if self._player is None or self._path is None:
            return
        self._set_rate(1.0)
        self._player.play()

    def pause(self) -> None:
        self._shuttle = 0.0
        self._range_end = None
        if self._player is not None:
            self._player.pause()
        self._update_tick()
        self.playingChanged.emit(False)

    def toggle(self) -> None:
        if self.is_playing():
            self.pause()
        else:
            self._range_end = None
            self.play()

    def stop(self) -> None:
        self._shuttle = 0.0
        self._range_end = None
        if self._player is not None:
            self._player.stop()
        self._update_tick()
        self.seek(0.0)

    def step(self, seconds: float) -> None:
        self.seek(self._position + seconds)

    def step_frames(self, frames: int) -> None:
        # Land on a frame boundary so repeated steps never drift.
        frame = round(self._position / self._frame_s)
        self.seek((frame + frames) * self._frame_s)

    def play_range(self, start_s: float, end_s: float) -> None:
        """Play from ``start_s`` and pause at ``end_s`` (P in the timeline, with pre/post-roll)."""
        if self._player is None:
            return
        self.seek(start_s)
        self._range_end = max(start_s, end_s)
        self._set_rate(1.0)
        self._player.play()
        self._update_tick()

    def shuttle_forward(self) -> None:
        """L: play forward, one speed faster on each press."""
        if self._player is None:
            return
        speeds = SHUTTLE_SPEEDS
        nxt = speeds[0] if self._shuttle <= 0 else speeds[min(len(speeds) - 1, speeds.index(self._shuttle) + 1)
                                                           if self._shuttle in speeds else 0]
        self._shuttle = nxt
        self._set_rate(nxt)
        self._player.play()
        self._update_tick()

    def shuttle_reverse(self) -> None:
        """J: run backwards (by seeking), one speed faster on each press."""
        if self._player is None:
            return
        speeds = SHUTTLE_SPEEDS
        cur = -self._shuttle
        nxt = speeds[0] if cur <= 0 else speeds[min(len(speeds) - 1, speeds.index(cur) + 1) if cur in speeds else 0]
        self._player.pause()
        self._shuttle = -nxt
        self._update_tick()
        self.playingChanged.emit(True)

    def shuttle_stop(self) -> None:
        """K."""
        self.pause()

    # --- internals -------------------------------------------------------------------------
    def _set_rate(self, rate: float) -> None:
        if self._player is not None and self._player.playbackRate() != rate:
            self._player.setPlaybackRate(rate)

    def _set_duration(self, seconds: float) -> None:
        if seconds > 0 and abs(seconds - self._duration) > 1e-6:
            self._duration = seconds
            self.durationChanged.emit(seconds)

    def _on_qt_position(self, ms: int) -> None:
        if self._shuttle < 0:
            return
        self._position = ms / 1000.0
        if self._range_end is not None and self._position >= self._range_end:
            end = self._range_end
            self.pause()
            self.seek(end)
            return
        self.positionChanged.emit(self._position)

    def _on_tick(self) -> None:
        if self._shuttle < 0:
            pos = self._position + self._shuttle * _TICK_MS / 1000.0
            if pos <= 0:
                self.pause()
                pos = 0.0
            self.seek(pos)
        elif self._player is not None:
            self._on_qt_position(self._player.position())

    def _update_tick(self) -> None:
        if self._shuttle < 0 or self._range_end is not None or self.is_playing():
            self._tick.start()
        else:
            self._tick.stop()

    def _on_state(self, _state) -> None:  # type: ignore[no-untyped-def]
        playing = self.is_playing()
        self._update_tick()
        self.playingChanged.emit(playing)

    def _on_error(self, _error, message: str) -> None:  # type: ignore[no-untyped-def]
        name = self._path.name if self._path else "media"
        self.reason = f"Playback of {name} failed: {message or 'unsupported media'}"
        log.warning(self.reason)
        self.availabilityChanged.emit(self.available, self.reason)


def program_timecode(sheet: CueSheet | None, seconds: float) -> str:
    """The timecode the editor sees in the NLE for a media position, at the sheet's rate."""
    if sheet is None:
        return tc.frames_to_timecode(tc.seconds_to_frames(Fraction(seconds).limit_denominator(100000),
                                                          tc.DEFAULT_RATE), tc.DEFAULT_RATE)
    frames = sheet.frames(Fraction(seconds).limit_denominator(1000000))
    return sheet.timecode_at(frames)


class TransportBar(QWidget):
    """Buttons and the program timecode readout under the viewer."""

    def __init__(self, player: Player, actions: dict[str, object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        self.sheet: CueSheet | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        style = self.style()
        icons = {"back_second": QStyle.StandardPixmap.SP_MediaSeekBackward,
                 "back_frame": QStyle.StandardPixmap.SP_MediaSkipBackward,
                 "play_pause": QStyle.StandardPixmap.SP_MediaPlay,
                 "stop": QStyle.StandardPixmap.SP_MediaStop,
                 "forward_frame": QStyle.StandardPixmap.SP_MediaSkipForward,
                 "forward_second": QStyle.StandardPixmap.SP_MediaSeekForward}
        self.buttons: dict[str, QToolButton] = {}
        for key, pixmap in icons.items():
            action = actions.get(key)
            if action is not None:
                action.setIcon(style.standardIcon(pixmap))  # type: ignore[attr-defined]
                b = QToolButton(self)
                b.setDefaultAction(action)  # type: ignore[arg-type]
                b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
                b.setAutoRaise(True)
                layout.addWidget(b)
                self.buttons[key] = b
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)
        play = actions.get("play_pause")
        if play is not None:
            player.playingChanged.connect(
                lambda on: play.setIcon(self._pause_icon if on else self._play_icon))  # type: ignore[attr-defined]
        self.timecode = QLabel("00:00:00:00", self)
        self.timecode.setObjectName("programTimecode")
        font = self.timecode.font()
        font.setFamily("DejaVu Sans Mono")
        font.setStyleHint(font.StyleHint.Monospace)
        font.setPointSize(font.pointSize() + 4)
        font.setBold(True)
        self.timecode.setFont(font)
        self.timecode.setToolTip("Program timecode at the episode's frame rate")
        layout.addSpacing(12)
        layout.addWidget(self.timecode)
        self.status = QLabel(self)
        self.status.setObjectName("playbackStatus")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setStyleSheet("color: #8a5a00;")
        layout.addSpacing(12)
        layout.addWidget(self.status, 1)
        player.positionChanged.connect(self._show_position)
        player.availabilityChanged.connect(lambda _ok, why: self.status.setText(why))
        self.status.setText(player.reason)

    def set_sheet(self, sheet: CueSheet | None) -> None:
        self.sheet = sheet
        self._show_position(self.player.position())

    def _show_position(self, seconds: float) -> None:
        try:
            self.timecode.setText(program_timecode(self.sheet, seconds))
        except (tc.TimecodeError, ValueError):
            self.timecode.setText("--:--:--:--")
