"""A fake AudioShake Tasks API on 127.0.0.1: a real HTTP server in a thread.

It follows the documented contract (``x-api-key`` on every call, ``GET /models``,
multipart ``POST /assets`` with field ``file``, ``POST /tasks`` with ``assetId`` and
``targets``, ``GET /tasks/{id}`` with per-target status, signed output links that can
expire) and records everything it received, so tests assert on the wire as well as
on results. Faults are queued per route: ``fake.fail("POST /assets", Fault(drop=True))``.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import secrets
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from requests_toolbelt.multipart.decoder import MultipartDecoder

DEFAULT_EVENTS: dict[str, Any] = {"events": [
    {"start_time_s": 0.0, "end_time_s": 10.0, "music_detected": True, "music_identified": False,
     "detection_confidence": 0.70},
    {"start_time_s": 12.0, "end_time_s": 18.0, "music_detected": True, "music_identified": True,
     "detection_confidence": 0.99, "identification_confidence": 0.76, "title": "Schön Rosmarin",
     "artists": ["Gil Shaham", "Orpheus Chamber Orchestra"], "album": "Violin Romances",
     "label": "Deutsche Grammophon", "release_date": "1996-09-02", "isrc": "DEF059503430"},
]}
DOCUMENTED_FORMATS: dict[str, list[str]] = {"audio": ["wav", "aiff", "flac", "mp3", "aac", "m4a"],
                                             "video": ["mp4", "mov"]}
_BIG_BODY = 32 * 1024**2  # above this an upload is counted and hashed, not kept


@dataclass
class Fault:
    """One injected failure: an error status (with body/headers), or a dropped connection."""

    status: int = 500
    body: Any = None  # dict -> JSON, str/bytes -> as is, None -> a JSON {"message": ...}
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the socket without an answer (mid-upload for POST /assets)


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body_size: int = 0
    json: Any = None
    parts: list[dict[str, Any]] = field(default_factory=list)  # multipart: name, filename, size, sha256
    body_read: threading.Event = field(default_factory=threading.Event)  # set once body_size is final

    @property
    def route(self) -> str:
        return f"{self.method} {_route_path(self.path)}"


def _route_path(path: str) -> str:
    for prefix in ("/tasks/", "/files/"):
        if path.startswith(prefix):
            return prefix.rstrip("/")
    return path


class FakeAudioShake:
    """Use as a context manager; ``url`` is the base URL to give the client."""

    def __init__(
        self,
        api_key: str,
        *,
        access: str = "enabled",
        polls_until_done: int = 1,
        final_status: str = "completed",
        error: dict[str, Any] | None = None,
        output: bytes | None = None,
        expire_first_links: int = 0,
        credits_per_minute: float = 1.5,
        limits: dict[str, Any] | None = None,
        input_formats: dict[str, list[str]] | None = None,
    ) -> None:
        self.api_key = api_key
        self.access = access
        self.credits_per_minute = credits_per_minute
        self.limits = limits
        self.input_formats = input_formats if input_formats is not None else DOCUMENTED_FORMATS
        self.polls_until_done = polls_until_done
        self.final_status = final_status
        self.error = error or {"code": "processing_failed", "message": "Audio could not be analysed"}
        self.output = output if output is not None else json.dumps(DEFAULT_EVENTS).encode()
        self.expire_first_links = expire_first_links
        self.received: list[Received] = []
        self.assets: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.faults: dict[str, list[Fault]] = {}
        self._links: dict[str, int] = {}  # token -> serial (1-based)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-audioshake", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeAudioShake:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # ---- test helpers ------------------------------------------------------------------

    def models_answer(self) -> dict[str, Any]:
        """``GET /models`` exactly as AudioShake's "List Available Models" page documents it."""
        def model(ident: str, name: str, category: str, description: str, access: str,
                  price: float, outputs: list[str], **extra: Any) -> dict[str, Any]:
            entry: dict[str, Any] = {
                "id": ident, "name": name, "category": category, "description": description,
                "access": access,
            }
            if access != "request_access":  # gated models omit pricing
                entry["creditsPerMinute"] = price
            entry["inputs"] = [{"id": "media", "description": "Source audio or video file", "required": True,
                                "taskFields": ["url", "assetId"], "formats": self.input_formats}]
            entry["outputFormats"] = outputs
            entry.update(extra)
            return entry

        mi_extra: dict[str, Any] = {}
        if self.limits is not None:
            mi_extra["limits"] = self.limits
        return {"models": [
            model("bass", "Bass", "instrumentStemSeparation",
                  "Low-end bass sources (electric bass, double bass, bass synth).", "enabled", 1,
                  ["aiff", "wav", "flac", "mp3", "mp4"]),
            model("transcription", "Transcription", "lyricTranscription", "Lyrics as timed text.", "enabled", 2,
                  ["json", "txt"], supportedLanguages=["en", "es", "fr", "de", "ja"]),
            model("music_identification", "Music Identification", "copyrightCompliance",
                  "Finds where music plays and identifies it.", self.access, self.credits_per_minute,
                  ["json"], **mi_extra),
        ]}

    def fail(self, route: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault(route, []).extend(faults)

    def calls(self, route: str) -> list[Received]:
        return [r for r in self.received if r.route == route]

    def count(self, route: str) -> int:
        return len(self.calls(route))

    def add_task(self, status: str = "processing") -> str:
        """A task as if created by an earlier run (for resume tests)."""
        asset_id = f"asset-{next(self._ids)}"
        self.assets[asset_id] = {"id": asset_id, "name": "earlier.wav", "format": "wav"}
        return self._new_task(asset_id, None)["id"]

    # ---- the API ----------------------------------------------------------------------

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(route)
            return queue.pop(0) if queue else None

    def _new_task(self, asset_id: str, metadata: str | None) -> dict[str, Any]:
        with self._lock:
            task_id = f"task-{next(self._ids)}"
            task = {"id": task_id, "createdAt": "2026-11-26T12:00:00Z", "completedAt": None, "assetId": asset_id,
                    "metadata": metadata, "cost": 1, "polls": 0,
                    "targets": [{"id": f"target-{next(self._ids)}", "model": "music_identification",
                                 "status": "processing", "formats": ["json"], "output": [], "cost": 1,
                                 "error": None, "duration": None}]}
            self.tasks[task_id] = task
        return task

    def _task_view(self, task: dict[str, Any], base: str) -> dict[str, Any]:
        target = dict(task["targets"][0])
        if task["polls"] >= self.polls_until_done:
            target["status"] = self.final_status
            if self.final_status == "completed":
                token = secrets.token_hex(8)
                with self._lock:
                    self._links[token] = len(self._links) + 1
                target["output"] = [{"name": "music_identification.json", "format": "json",
                                     "link": f"{base}/files/{token}?X-Amz-Signature={token}&X-Amz-Expires=3600"}]
                task = {**task, "completedAt": "2026-11-26T12:05:00Z"}
            elif self.final_status in ("error", "failed"):
                target["error"] = dict(self.error)
        view = {k: v for k, v in task.items() if k != "polls"}
        view["targets"] = [target]
        return view


def _handler_for(fake: FakeAudioShake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:  # keep test output clean
            pass

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle + delayed ACK
            # add 40 ms to every request and the suite crawls.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

        # ---- plumbing ----------------------------------------------------------------

        def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
            if isinstance(body, (dict, list)):
                data, ctype = json.dumps(body).encode(), "application/json"
            elif isinstance(body, str):
                data, ctype = body.encode(), "text/plain"
            elif isinstance(body, bytes):
                data, ctype = body, "application/octet-stream"
            else:
                data, ctype = b"", "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _read_body(self, rec: Received, limit: int | None = None) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            want = length if limit is None else min(limit, length)
            if length > _BIG_BODY and limit is None:
                h, left = hashlib.sha256(), length
                while left:
                    chunk = self.rfile.read(min(1 << 20, left))
                    if not chunk:
                        break
                    h.update(chunk)
                    left -= len(chunk)
                rec.body_size = length - left
                rec.parts = [{"name": "?", "filename": "?", "size": rec.body_size, "sha256": h.hexdigest()}]
                rec.body_read.set()
                return b""
            data = self.rfile.read(want)
            rec.body_size = len(data)
            rec.body_read.set()
            return data

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            rec = Received(method, parts.path, parse_qs(parts.query),
                           {k.lower(): v for k, v in self.headers.items()})
            with fake._lock:
                fake.received.append(rec)
            fault = fake._take_fault(rec.route)
            if fault and fault.drop:
                self._read_body(rec, limit=int(self.headers.get("Content-Length") or 0) // 2)
                self._drop()
                return
            body = self._read_body(rec)
            if rec.body_size < int(self.headers.get("Content-Length") or 0):
                self._drop()  # the client hung up mid-body: a real server discards the request
                return
            if fault:
                self._send(fault.status, fault.body if fault.body is not None else
                           {"message": f"injected {fault.status}"}, fault.headers)
                return
            if rec.route == "GET /files":
                self._file(rec)
                return
            if self.headers.get("x-api-key") != fake.api_key:
                self._send(401, {"message": "Unauthorized: invalid API key"})
                return
            base = f"http://{self.headers.get('Host')}"
            if rec.route == "GET /models":
                self._send(200, fake.models_answer())
            elif rec.route == "POST /assets":
                self._asset(rec, body)
            elif rec.route == "POST /tasks":
                self._create(rec, body, base)
            elif rec.route == "GET /tasks":
                task = fake.tasks.get(parts.path.rsplit("/", 1)[-1])
                if task is None:
                    self._send(404, {"message": "Task not found"})
                    return
                with fake._lock:
                    task["polls"] += 1
                self._send(200, fake._task_view(task, base))
            else:
                self._send(404, {"message": f"No route {rec.route}"})

        def _asset(self, rec: Received, body: bytes) -> None:
            ctype = self.headers.get("Content-Type", "")
            if body:
                try:
                    decoded = MultipartDecoder(body, ctype)
                except Exception as exc:  # noqa: BLE001 - a malformed body is a 400, as a real API would say
                    self._send(400, {"message": f"bad multipart body: {exc}"})
                    return
                for part in decoded.parts:
                    disposition = part.headers.get(b"Content-Disposition", b"").decode()
                    fields = dict(kv.strip().split("=", 1) for kv in disposition.split(";")[1:] if "=" in kv)
                    rec.parts.append({"name": fields.get("name", "").strip('"'),
                                      "filename": fields.get("filename", "").strip('"'),
                                      "size": len(part.content),
                                      "sha256": hashlib.sha256(part.content).hexdigest()})
            files = [p for p in rec.parts if p["name"] in ("file", "?")]
            if len(files) != 1:
                self._send(400, {"message": "expected one multipart field 'file'"})
                return
            asset_id = f"asset-{next(fake._ids)}"
            name = files[0]["filename"]
            asset = {"id": asset_id, "format": name.rsplit(".", 1)[-1], "name": name,
                     "link": f"http://{self.headers.get('Host')}/files/asset-{asset_id}"}
            fake.assets[asset_id] = {**asset, "sha256": files[0]["sha256"], "size": files[0]["size"]}
            self._send(200, asset)

        def _create(self, rec: Received, body: bytes, base: str) -> None:
            try:
                rec.json = json.loads(body)
            except ValueError:
                self._send(400, {"message": "body is not JSON"})
                return
            data = rec.json
            if not isinstance(data, dict) or ("assetId" in data) == ("url" in data):
                self._send(400, {"message": "give exactly one of assetId or url"})
                return
            if "assetId" in data and data["assetId"] not in fake.assets:
                self._send(404, {"message": "Asset not found"})
                return
            targets = data.get("targets")
            if not isinstance(targets, list) or not 1 <= len(targets) <= 20:
                self._send(400, {"message": "targets: 1 to 20 required"})
                return
            task = fake._new_task(data.get("assetId"), data.get("metadata"))
            self._send(200, fake._task_view(task, base))

        def _file(self, rec: Received) -> None:
            token = rec.path.rsplit("/", 1)[-1]
            serial = fake._links.get(token)
            if serial is None:
                self._send(404, "<Error><Code>NoSuchKey</Code></Error>")
            elif serial <= fake.expire_first_links:
                self._send(403, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
            else:
                self._send(200, fake.output)

    return Handler
