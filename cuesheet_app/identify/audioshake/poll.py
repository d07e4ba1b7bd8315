"""Waiting for a task: the target's status, the poll schedule, the json output link.

Status lives on each target (``processing``, ``completed``, ``error``; AudioShake's demo code
also tests ``failed``). Any other word is taken as "not finished yet", so a new
intermediate status (say ``queued``) does not break a running job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cuesheet_app.identify.audioshake.client import MODEL, AudioShakeClient
from cuesheet_app.identify.audioshake.errors import (
    ApiError,
    TaskFailed,
    TaskTimeout,
    UnreachableError,
)
from cuesheet_app.identify.base import Cancelled

FAILED = frozenset({"error", "failed"})
COMPLETED = "completed"


@dataclass(frozen=True)
class PollSchedule:
    """Start at ``first_s``, grow by ``factor`` per poll up to ``max_s``: quick for short
    episodes, gentle on the API (and the rate limit) for hour-long ones."""

    first_s: float = 2.0
    max_s: float = 15.0
    factor: float = 1.5

    def intervals(self) -> Iterator[float]:
        delay = self.first_s
        while True:
            yield delay
            delay = min(self.max_s, delay * self.factor)


def find_target(task: dict[str, Any], model: str = MODEL) -> dict[str, Any]:
    targets = task.get("targets")
    if isinstance(targets, list):
        for target in targets:
            if isinstance(target, dict) and target.get("model") == model:
                return target
    raise ApiError(f"AudioShake task {task.get('id', '?')} has no {model} target")


def target_status(target: dict[str, Any]) -> str:
    return str(target.get("status") or "processing").strip().lower()


def failure_text(target: dict[str, Any]) -> str:
    err = target.get("error")
    if isinstance(err, dict):
        code, message = err.get("code"), err.get("message")
        parts = [str(p) for p in (code, message) if p not in (None, "")]
        if parts:
            return ": ".join(parts)
    elif isinstance(err, str) and err.strip():
        return err.strip()
    return "no reason given"


def json_output_link(target: dict[str, Any]) -> str:
    outputs = target.get("output")
    if isinstance(outputs, list):
        for out in outputs:
            if not isinstance(out, dict) or not out.get("link"):
                continue
            if str(out.get("format", "")).lower() == "json" or str(out.get("name", "")).lower().endswith(".json"):
                return str(out["link"])
    raise ApiError("AudioShake task completed without a json output link")


def wait_for_target(
    client: AudioShakeClient,
    task: dict[str, Any],
    *,
    timeout_s: float,
    schedule: PollSchedule,
    on_wait: Callable[[str, float], None],
) -> dict[str, Any]:
    """Poll ``GET /tasks/{id}`` until the target is completed; return that task object.

    Raises ``TaskFailed`` on ``error``/``failed``, ``TaskTimeout`` when ``timeout_s`` runs
    out, ``Cancelled`` as soon as the token is set (the waits are token waits).
    """
    task_id = str(task.get("id"))
    started = time.monotonic()
    intervals = schedule.intervals()
    note = ""
    while True:
        target = find_target(task)
        status = target_status(target)
        if status == COMPLETED:
            return task
        if status in FAILED:
            raise TaskFailed(f"AudioShake could not process the file ({status}): {failure_text(target)} "
                             f"(task {task_id})")
        elapsed = time.monotonic() - started
        if elapsed >= timeout_s:
            raise TaskTimeout(
                f"AudioShake task {task_id} was still {status} after {_minutes(timeout_s)} (the timeout "
                "setting). It keeps running: identify again later to pick up its result without paying again."
            )
        on_wait(note or status, elapsed)
        delay = min(next(intervals), max(0.0, timeout_s - elapsed))
        if client.cancel.wait(delay):
            raise Cancelled()
        try:
            task = client.get_task(task_id)
            note = ""
        except UnreachableError:
            # Wi-Fi gone, laptop asleep, API down for a while: the task runs on regardless,
            # so keep waiting (within the total timeout) rather than abandon a paid job.
            if time.monotonic() - started >= timeout_s:
                raise
            note = f"{status}; AudioShake unreachable, retrying"


def _minutes(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    return f"{seconds / 60:.0f} min"
