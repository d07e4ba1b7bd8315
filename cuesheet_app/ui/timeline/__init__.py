"""The editable timeline: painted widget, lane layout and snapping, and the cue key operations."""

from cuesheet_app.ui.timeline.operations import CueOperations
from cuesheet_app.ui.timeline.widget import TimelineWidget

__all__ = ["CueOperations", "TimelineWidget"]
