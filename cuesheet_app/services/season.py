"""A season in one run: one project per episode with the series header, and the season report.

Resumable by construction: each episode's project is saved (atomically) the moment it is
done, and it records the media's fingerprint, so a second run skips every episode whose
project exists for unchanged media (re-applying the header if that changed) and a crashed
run loses only the episodes that were still running. Episodes run in worker processes,
at most one per core.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, fields
from multiprocessing import Manager
from pathlib import Path
from typing import Any

from cuesheet_app.domain.model import CueSheet, ProductionHeader
from cuesheet_app.domain.progress import CancelToken, Progress
from cuesheet_app.identify.local import threads as identify_threads
from cuesheet_app.identify.local.threads import usable_cores
from cuesheet_app.media.identity import quick_fingerprint
from cuesheet_app.media.suffixes import MEDIA_SUFFIXES
from cuesheet_app.storage import project_file
from cuesheet_app.storage.project_file import SUFFIX as PROJECT_SUFFIX

PATTERN_KEY = "episode_number_pattern"
# media-derived or per-episode fields a series header never sets
NOT_SERIES_FIELDS = frozenset({"program_duration", "frame_rate", "program_start", "status", "status_date",
                               "revision_number", "classification"})


class SeasonError(ValueError):
    """Bad series header or inputs; the message names the field or file."""


@dataclass
class SeriesHeader:
    """Header fields every episode of a series shares, by their names in the project file, plus
    an optional regular expression that reads the episode number from the file name."""

    values: dict[str, Any] = field(default_factory=dict)
    episode_pattern: re.Pattern[str] | None = None

    @classmethod
    def from_dict(cls, data: Any, source: str = "header") -> SeriesHeader:
        if not isinstance(data, dict):
            raise SeasonError(f"{source}: expected a JSON object of header fields")
        names = {f.name: f for f in fields(ProductionHeader)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == PATTERN_KEY:
                continue
            if key not in names or key in NOT_SERIES_FIELDS:
                allowed = sorted(set(names) - NOT_SERIES_FIELDS)
                raise SeasonError(f"{source}: {key!r} is not a series header field (use: {', '.join(allowed)})")
            expected_list = key.endswith("_akas")
            if expected_list and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise SeasonError(f"{source}: {key!r} must be a list of names")
            if not expected_list and not isinstance(value, str):
                raise SeasonError(f"{source}: {key!r} must be text, got {value!r}")
            values[key] = list(value) if expected_list else value
        pattern = None
        if data.get(PATTERN_KEY):
            try:
                pattern = re.compile(str(data[PATTERN_KEY]), re.IGNORECASE)
            except re.error as exc:
                raise SeasonError(f"{source}: {PATTERN_KEY} is not a valid regular expression ({exc})") from None
        return cls(values, pattern)

    @classmethod
    def load(cls, path: str | Path) -> SeriesHeader:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SeasonError(f"{p} does not exist") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SeasonError(f"{p} is not valid JSON ({exc})") from None
        return cls.from_dict(data, str(p))

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.values)
        if self.episode_pattern is not None:
            d[PATTERN_KEY] = self.episode_pattern.pattern
        return d

    def episode_number(self, media: Path) -> str:
        """The episode number the pattern reads from the file name ('' without a pattern or match)."""
        if self.episode_pattern is None:
            return ""
        m = self.episode_pattern.search(media.stem)
        if not m:
            return ""
        return m.groupdict().get("n") or (m.group(1) if m.groups() else m.group(0))

    def apply(self, sheet: CueSheet, media: Path | None = None) -> bool:
        """Put the series fields on a sheet; True when anything changed. A submitted sheet is left
        alone (it is locked until reopened)."""
        if sheet.submitted:
            return False
        before = sheet.header.to_dict()
        for key, value in self.values.items():
            setattr(sheet.header, key, list(value) if isinstance(value, list) else value)
        number = self.episode_number(media) if media is not None else ""
        if number:
            sheet.header.episode_number = number
        return sheet.header.to_dict() != before


def collect_episodes(inputs: Iterable[str | Path]) -> list[Path]:
    """Media files from files and folders (recursively), in name order, each once."""
    out: list[Path] = []
    seen: set[Path] = set()
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in MEDIA_SUFFIXES
                           and not f.name.startswith("."))
        elif p.is_file():
            if p.suffix.lower() not in MEDIA_SUFFIXES:
                raise SeasonError(f"{p}: not a supported media file ({p.suffix or 'no extension'})")
            found = [p]
        else:
            raise SeasonError(f"{p} does not exist")
        for f in found:
            r = f.resolve()
            if r not in seen:
                seen.add(r)
                out.append(f)
    if not out:
        raise SeasonError("No episodes found in " + ", ".join(str(i) for i in inputs))
    return out


def project_path_for(episode: Path, out_dir: Path) -> Path:
    return out_dir / (episode.stem + PROJECT_SUFFIX)


def finished_project(episode: Path, out_dir: Path) -> CueSheet | None:
    """The episode's project from an earlier run when it was made from this very media."""
    path = project_path_for(episode, out_dir)
    if not path.is_file():
        return None
    try:
        sheet = project_file.load(path)
    except project_file.ProjectError:
        return None  # a damaged project is made again
    if not sheet.media or not sheet.engine:
        return None
    try:
        same = sheet.media[0].fingerprint == quick_fingerprint(episode)
    except OSError:
        return None
    return sheet if same else None


@dataclass
class EpisodeResult:
    episode: Path
    project: Path
    state: str  # "done", "skipped", "header", "failed"
    cues: int = 0
    error: str = ""


@dataclass(frozen=True)
class BatchJob:
    """What a worker process needs: plain data only (it is pickled)."""

    episode: str
    project: str
    engine: str
    library: str | None
    header: dict[str, Any]
    audio_stream: int | None = None


def run_episode(job: BatchJob, queue: Any = None) -> tuple[int, str]:
    """Identify one episode into its project (in a worker process). Returns (cues, error)."""
    from cuesheet_app.identify.base import IdentificationError, IdentifyRequest
    from cuesheet_app.identify.registry import create_engine
    from cuesheet_app.media.errors import MediaError
    from cuesheet_app.services.projects import add_engine_results, new_sheet_for_media
    from cuesheet_app.settings.store import load_settings

    def report(p: Progress) -> None:
        if queue is not None:
            queue.put((job.episode, p.phase, p.fraction))

    try:
        cfg = load_settings()
        engine = create_engine(job.engine, cfg, library_dir=Path(job.library) if job.library else None)
        sheet = new_sheet_for_media(job.episode, cfg)
        SeriesHeader.from_dict(job.header).apply(sheet, Path(job.episode))
        doc = engine.identify(IdentifyRequest(media_path=Path(job.episode), audio_stream=job.audio_stream),
                              progress=report)
        add_engine_results(sheet, doc, job.engine, cfg)
        project_file.save(sheet, job.project)
    except (IdentificationError, MediaError, project_file.ProjectError, OSError) as exc:
        return 0, str(exc)
    report(Progress("Done", 1.0))
    return len(sheet.cues), ""


def _share_cores(threads: int) -> None:
    """Worker-process initializer: the local engine's threads per identification."""
    identify_threads.THREADS = threads


ProgressSink = Callable[[str, str, float | None, int, int], None]  # episode, phase, fraction, done, total


def run_batch(episodes: list[Path], header: SeriesHeader, out_dir: Path, engine: str, library: Path | None,
              jobs: int | None = None, progress: ProgressSink | None = None, cancel: CancelToken | None = None,
              audio_stream: int | None = None) -> list[EpisodeResult]:
    """Projects for every episode; finished ones are kept (their header refreshed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[Path, EpisodeResult] = {}
    todo: list[BatchJob] = []
    for ep in episodes:
        path = project_path_for(ep, out_dir)
        done = finished_project(ep, out_dir)
        if done is not None:
            state = "skipped"
            if header.apply(done, ep):
                project_file.save(done, path)
                state = "header"
            results[ep] = EpisodeResult(ep, path, state, len(done.cues))
            continue
        todo.append(BatchJob(str(ep), str(path), engine, str(library) if library else None, header.to_dict(),
                             audio_stream))
    total = len(episodes)
    finished = len(results)
    sink = progress or (lambda *a: None)
    for r in results.values():
        sink(r.episode.name, "Already done" if r.state == "skipped" else "Header updated", 1.0, finished, total)
    if todo:
        cores = usable_cores()
        workers = max(1, min(jobs or cores, cores, len(todo)))
        # each worker identifies with its share of the cores, not all of them: several episodes
        # at once already fill the machine, and more threads than cores only add overhead
        with Manager() as manager, ProcessPoolExecutor(max_workers=workers, initializer=_share_cores,
                                                       initargs=(max(1, cores // workers),)) as pool:
            queue = manager.Queue()
            futures: dict[Future[tuple[int, str]], BatchJob] = {pool.submit(run_episode, j, queue): j for j in todo}
            pending = set(futures)
            while pending:
                if cancel is not None and cancel.cancelled:
                    for f in pending:
                        f.cancel()
                done_now, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                while not queue.empty():
                    name, phase, fraction = queue.get()
                    sink(Path(name).name, phase, fraction, finished, total)
                for f in done_now:
                    job = futures[f]
                    ep = Path(job.episode)
                    if f.cancelled():
                        results[ep] = EpisodeResult(ep, Path(job.project), "cancelled")
                        continue
                    try:
                        cues, error = f.result()
                    except Exception as exc:  # noqa: BLE001 - a crashed worker fails only its episode
                        cues, error = 0, f"worker failed: {exc}"
                    finished += 1
                    state = "failed" if error else "done"
                    results[ep] = EpisodeResult(ep, Path(job.project), state, cues, error)
                    sink(ep.name, "Failed: " + error if error else "Done", 1.0, finished, total)
    return [results[ep] for ep in episodes if ep in results]


def load_projects(results: Iterable[EpisodeResult]) -> list[tuple[Path, CueSheet]]:
    out = []
    for r in results:
        if r.state in ("done", "skipped", "header") and r.project.is_file():
            out.append((r.project, project_file.load(r.project)))
    return out
