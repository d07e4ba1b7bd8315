"""``AudioShakeEngine``: episode in, ``music_identification`` events out, via AudioShake's cloud.

The job is resumable because it costs money: the asset id and task id go into
``request.state`` (persisted in the project's ``engine_state["audioshake"]``) the moment
they are known, and the state saver set by the caller writes them out at once. A later
run with the same file finds the task and only polls; a finished result is cached per
file content, so identifying the same file again is free unless ``force`` is set.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cuesheet_app.domain.events import EventsDocument, EventsError, parse_events_json
from cuesheet_app.identify.audioshake.cache import ResultCache
from cuesheet_app.identify.audioshake.client import (
    MODEL,
    AudioShakeClient,
    LinkExpired,
    validate_base_url,
)
from cuesheet_app.identify.audioshake.errors import (
    KEY_HELP,
    ApiError,
    AudioShakeError,
    ConfigurationError,
    CostDeclined,
    NoAccessError,
    OverLimitError,
    TaskFailed,
)
from cuesheet_app.identify.audioshake.models import CostEstimate, FileCost, ModelInfo, limit_problem
from cuesheet_app.identify.audioshake.poll import (
    PollSchedule,
    find_target,
    json_output_link,
    wait_for_target,
)
from cuesheet_app.identify.audioshake.retry import RetryPolicy
from cuesheet_app.identify.base import (
    CancelToken,
    IdentificationError,
    IdentifyRequest,
    Progress,
    ProgressCallback,
    ignore_progress,
)
from cuesheet_app.media.errors import MediaError
from cuesheet_app.media.extract import plan_upload
from cuesheet_app.media.identity import content_hash
from cuesheet_app.media.probe import MediaInfo, probe
from cuesheet_app.settings.secrets import get_api_key, redact
from cuesheet_app.settings.store import Settings

log = logging.getLogger(__name__)

BASE_URL_ENV = "AUDIOSHAKE_BASE_URL"
ASSET_LIFETIME_S = 72 * 3600 - 600  # AudioShake deletes assets after 72 h; keep a margin
LINK_REFRESHES = 3

PREPARING, UPLOADING, WAITING, DOWNLOADING, DONE = (
    "preparing audio", "uploading", "waiting for AudioShake", "downloading results", "done")


class AudioShakeEngine:
    """The cloud engine (``identify.base.Engine``)."""

    name = "audioshake"
    version = "1.0"
    progress_interval_s = 0.1  # upload progress: at most ten reports a second

    def __init__(
        self,
        base_url: str,
        timeout_s: float = 3600,
        *,
        api_key: str | None = None,
        retry: RetryPolicy | None = None,
        poll: PollSchedule | None = None,
        http_timeout: tuple[float, float] = (15.0, 120.0),
        cache: ResultCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url
        self.timeout_s = timeout_s
        self._api_key = api_key  # None: read from env/keyring at identify time (the user may set it meanwhile)
        self.retry = retry or RetryPolicy()
        self.poll = poll or PollSchedule()
        self.http_timeout = http_timeout
        self.cache = cache or ResultCache()
        self.clock = clock
        self._saver: Callable[[], None] | None = None
        # Asked with the estimate before a file goes up; None: the caller approved already
        # (the CLI's --yes, or a batch the GUI asked about once).
        self.confirm_cost: Callable[[CostEstimate], bool] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AudioShakeEngine:
        base_url = os.environ.get(BASE_URL_ENV, "").strip() or settings.audioshake_base_url
        return cls(base_url, timeout_s=settings.audioshake_timeout_s)

    def estimate(self, media_paths: list[Path], audio_stream: int | None = None,
                 cancel: CancelToken | None = None, force: bool = False) -> CostEstimate:
        """The cost of identifying these files, from the account's model list, before any upload.

        Files with a cached result cost nothing and are listed apart (unless ``force``). Raises NoAccessError when
        the model is not enabled and OverLimitError naming every file the model cannot take.
        """
        cancel = cancel or CancelToken()
        key = self._api_key or get_api_key()
        if not key:
            raise ConfigurationError(f"No AudioShake API key. {KEY_HELP}")
        with AudioShakeClient(self.base_url, key, retry=self.retry, timeout=self.http_timeout,
                              cancel=cancel) as client:
            model = self._check_access(client)
        files: list[FileCost] = []
        cached: list[Path] = []
        problems: list[str] = []
        for path in media_paths:
            path = Path(path)
            try:
                digest = content_hash(path)
                seconds = float(probe(path).duration_s)
            except (OSError, MediaError) as exc:
                raise IdentificationError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
            if not force and self.cache.get(digest, audio_stream) is not None:
                cached.append(path)
                continue
            problem = limit_problem(model, path.name, seconds)
            if problem:
                problems.append(problem)
            files.append(FileCost(path, seconds))
        if problems:
            raise OverLimitError(" ".join(problems))
        return CostEstimate(MODEL, model.credits_per_minute, tuple(files), tuple(cached))

    def set_state_saver(self, saver: Callable[[], None] | None) -> None:
        """Called right after an asset or task id is stored, so a crash cannot lose it."""
        self._saver = saver

    def describe(self) -> str:
        host = urlsplit(self.base_url).netloc or self.base_url
        return f"AudioShake {MODEL} (cloud, {host}), client {self.version}"

    # ---- the job ---------------------------------------------------------------------

    def identify(
        self,
        request: IdentifyRequest,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
    ) -> EventsDocument:
        cancel = cancel or CancelToken()
        key = self._api_key or get_api_key()
        try:
            return self._identify(request, progress, cancel, key)
        except IdentificationError as exc:
            # One last net under every message: whatever the path, the key never leaves.
            if key and key in str(exc):
                exc.args = (redact(str(exc), key),)
            raise

    def _identify(self, request: IdentifyRequest, progress: ProgressCallback, cancel: CancelToken,
                  key: str | None) -> EventsDocument:
        if not key:
            raise ConfigurationError(f"No AudioShake API key. {KEY_HELP}")
        validate_base_url(self.base_url)
        media = Path(request.media_path)
        state = request.state if request.state is not None else {}
        try:
            digest = _content_hash(media, progress, cancel)
        except OSError as exc:
            raise IdentificationError(f"{media}: cannot read ({exc.strerror or exc})") from None
        if request.force:
            state.clear()
        else:
            cached = self.cache.get(digest, request.audio_stream)
            if cached is not None:
                log.info("AudioShake: reusing the cached result for %s", media.name)
                progress(Progress(DONE, 1.0, "cached result"))
                return cached
        if state.get("content_hash") != digest or state.get("audio_stream") != request.audio_stream:
            state.clear()  # another file (or stream) since: its ids are not ours
        state["content_hash"] = digest
        state["audio_stream"] = request.audio_stream

        with AudioShakeClient(self.base_url, key, retry=self.retry, timeout=self.http_timeout,
                              cancel=cancel) as client:
            task = self._resume_or_start(client, media, request, state, progress, cancel)
            task = self._wait(client, task, state, progress)
            raw, doc = self._fetch_result(client, task, media, progress)
        self.cache.put(digest, request.audio_stream, raw)
        state["status"] = "completed"
        self._save()
        progress(Progress(DONE, 1.0))
        return doc

    def _resume_or_start(self, client: AudioShakeClient, media: Path, request: IdentifyRequest,
                         state: dict[str, Any], progress: ProgressCallback,
                         cancel: CancelToken) -> dict[str, Any]:
        task_id = state.get("task_id")
        if task_id:
            try:
                task = client.get_task(str(task_id))
                log.info("AudioShake: resuming task %s", task_id)
                return task
            except ApiError as exc:
                if exc.status != 404:
                    raise
                log.info("AudioShake: stored task %s is gone; starting a new one", task_id)
                self._forget(state, "task_id", "status")
        asset_id = state.get("asset_id")
        if asset_id and self.clock() - float(state.get("asset_uploaded_at") or 0) > ASSET_LIFETIME_S:
            self._forget(state, "asset_id", "asset_uploaded_at")
            asset_id = None
        model = self._check_access(client)
        info = self._check_limits_and_cost(model, media)
        if asset_id:
            try:
                return self._create_task(client, str(asset_id), media, state)
            except ApiError as exc:
                if exc.status not in (400, 404):
                    raise
                log.info("AudioShake: stored asset is gone (%s); uploading again", exc)
                self._forget(state, "asset_id", "asset_uploaded_at")
        asset = self._upload(client, media, request, progress, cancel, model, info)
        state["asset_id"] = str(asset["id"])
        state["asset_uploaded_at"] = self.clock()
        self._save()
        return self._create_task(client, state["asset_id"], media, state)

    @staticmethod
    def _check_access(client: AudioShakeClient) -> ModelInfo:
        model = client.model_info(MODEL)
        if model is None or not model.enabled:
            why = "is not listed for this account" if model is None else f"access is '{model.access}'"
            raise NoAccessError(
                f"This AudioShake account cannot use {MODEL} yet ({why}). It is in partner "
                "pre-release: request access from AudioShake, then try again. Nothing was uploaded."
            )
        return model

    def _check_limits_and_cost(self, model: ModelInfo, media: Path) -> MediaInfo:
        """Refuse what the model cannot take, and ask about the cost, before anything goes up.

        Returns the probe, which the upload plan reuses rather than opening the file again."""
        try:
            info = probe(media)
        except MediaError as exc:
            raise IdentificationError(str(exc)) from None
        seconds = float(info.duration_s)
        problem = limit_problem(model, media.name, seconds)
        if problem:
            raise OverLimitError(problem)
        estimate = CostEstimate(MODEL, model.credits_per_minute, (FileCost(media, seconds),))
        log.info("AudioShake: %s", estimate.describe())
        if self.confirm_cost is not None and not self.confirm_cost(estimate):
            raise CostDeclined(f"{media.name}: not sent to AudioShake (the estimated cost was declined). "
                               "Nothing was uploaded.")
        return info

    def _upload(self, client: AudioShakeClient, media: Path, request: IdentifyRequest,
                progress: ProgressCallback, cancel: CancelToken, model: ModelInfo,
                info: MediaInfo) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="cuesheet-audioshake-") as work:
            plan = plan_upload(
                media, Path(work), request.audio_stream,
                report=lambda f: progress(Progress(PREPARING, f, "extracting audio")),
                check=cancel.raise_if_cancelled,
                info=info,
                accepted=model.input_formats,  # the model's own list; None: the built-in rules
            )
            if plan.extracted:
                log.info("AudioShake: uploading extracted audio of %s: %s", media.name, plan.reason)
            total = plan.path.stat().st_size
            progress(Progress(UPLOADING, 0.0, f"0 / {_mb(total)}"))

            last = 0.0

            def sent(done: int, length: int) -> None:
                # The encoder calls back every 8-16 KB: 100k+ times for 2 GB. A GUI progress row
                # needs ten updates a second, not a signal flood on its event loop.
                nonlocal last
                now = time.monotonic()
                if done < length and now - last < self.progress_interval_s:
                    return
                last = now
                progress(Progress(UPLOADING, done / length if length else None, f"{_mb(done)} / {_mb(length)}"))

            return client.upload_asset(plan.path, progress=sent)

    def _create_task(self, client: AudioShakeClient, asset_id: str, media: Path,
                     state: dict[str, Any]) -> dict[str, Any]:
        task = client.create_task(asset_id, metadata=f"cuesheet: {media.name}"[:200])
        state["task_id"] = str(task["id"])
        state["status"] = "processing"
        self._save()
        return task

    def _wait(self, client: AudioShakeClient, task: dict[str, Any], state: dict[str, Any],
              progress: ProgressCallback) -> dict[str, Any]:
        def on_wait(status: str, elapsed: float) -> None:
            progress(Progress(WAITING, None, f"task {status}, {_clock(elapsed)}"))

        try:
            return wait_for_target(client, task, timeout_s=self.timeout_s, schedule=self.poll, on_wait=on_wait)
        except TaskFailed:
            # The task is over and will not change; the asset can feed a new one (no re-upload).
            state["failed_task_id"] = state.pop("task_id", None)
            state["status"] = "failed"
            self._save()
            raise

    def _fetch_result(self, client: AudioShakeClient, task: dict[str, Any], media: Path,
                      progress: ProgressCallback) -> tuple[bytes, EventsDocument]:
        task_id = str(task.get("id"))
        for refresh in range(LINK_REFRESHES + 1):
            link = json_output_link(find_target(task))
            progress(Progress(DOWNLOADING, 0.0))
            try:
                raw = client.download(
                    link, progress=lambda got, n: progress(Progress(DOWNLOADING, got / n if n else None)))
                break
            except LinkExpired as exc:
                if refresh == LINK_REFRESHES:
                    raise ApiError(f"AudioShake output link for task {task_id} keeps failing ({exc}) even "
                                   "after fetching fresh links; try again later") from None
                log.info("AudioShake: output link refused (%s); fetching task %s for a fresh link", exc, task_id)
                task = client.get_task(task_id)
        source = f"AudioShake result for {media.name} (task {task_id})"
        try:
            doc = parse_events_json(raw, source=source)
        except EventsError as exc:
            kept = self.cache.keep_rejected(f"{task_id}.json", raw)
            where = f"; the output is kept in {kept}" if kept else ""
            raise AudioShakeError(f"{exc}{where}. Run again with --force (or Re-identify) for a new task.") from None
        return raw, doc

    # ---- state -----------------------------------------------------------------------

    def _forget(self, state: dict[str, Any], *keys: str) -> None:
        for k in keys:
            state.pop(k, None)
        self._save()

    def _save(self) -> None:
        if self._saver is None:
            return
        try:
            self._saver()
        except Exception as exc:  # noqa: BLE001 - the job goes on; the caller saves again at the end
            log.warning("Could not save the AudioShake job state: %s", exc)


def _content_hash(path: Path, progress: ProgressCallback, cancel: CancelToken) -> str:
    """``media.identity.content_hash`` with progress and cancel between chunks: hashing a 50 GB
    MXF master takes minutes and must neither look stuck nor ignore Cancel."""
    last = [0.0]

    def on_chunk(done: int, size: int) -> None:
        cancel.raise_if_cancelled()
        now = time.monotonic()
        if now - last[0] >= 0.1:
            last[0] = now
            progress(Progress(PREPARING, done / size if size else None, "checking the file"))

    return content_hash(path, on_chunk)


def _mb(n: int) -> str:
    return f"{n / 1024**2:.1f} MB"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d} elapsed"
