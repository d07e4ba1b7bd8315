"""A careful ``requests`` client of AudioShake's Tasks API.

What it guarantees, because a partner points it at a paid service with a real key:
- the key goes only to the configured API origin, over HTTPS (plain HTTP only on
  loopback, for the test server), never to output links and never across a redirect;
- connection errors, timeouts, 429 (honouring Retry-After) and 5xx are retried with
  bounded exponential backoff; 400/401/403 are not (retrying cannot fix them);
- uploads stream from disk (memory stays flat for a 2 GB file) and can be cancelled
  between chunks; every wait is a ``CancelToken.wait`` so Cancel and Ctrl-C are prompt;
- every message a user sees names the request and the server's own words, with the key
  redacted.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from cuesheet_app import __version__
from cuesheet_app.identify.audioshake.errors import (
    KEY_HELP,
    ApiError,
    AuthError,
    ConfigurationError,
    UnreachableError,
)
from cuesheet_app.identify.audioshake.models import ModelInfo, find_model
from cuesheet_app.identify.audioshake.retry import RETRY_STATUSES, RetryPolicy, parse_retry_after
from cuesheet_app.identify.base import Cancelled, CancelToken
from cuesheet_app.settings.secrets import redact

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MODEL = "music_identification"
MAX_UPLOAD_BYTES = 2 * 1024**3
MAX_RESULT_BYTES = 64 * 1024**2  # an events JSON is kilobytes; refuse to buffer a runaway body
TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)

BytesProgress = Callable[[int, int], None]


class LinkExpired(Exception):
    """An output link answered 400/401/403/404/410: fetch the task again for a fresh one."""


def validate_base_url(url: str) -> str:
    """The base URL without a trailing slash; refuses anything that could leak the key."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise ConfigurationError(f"AudioShake base URL {text!r} is not a URL like https://api.audioshake.ai")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ConfigurationError(
            f"AudioShake base URL {text!r} must use https:// (plain http is allowed only on this machine)"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(f"AudioShake base URL {text!r} must not carry a query, fragment or login")
    return text.rstrip("/")


def _check_link(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise ApiError(f"AudioShake gave an output link that is not https ({parts.scheme or 'no scheme'}://…)")


class AudioShakeClient:
    """One API key, one base URL, one ``requests`` session; use as a context manager."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = (15.0, 120.0),
        cancel: CancelToken | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ConfigurationError(f"No AudioShake API key. {KEY_HELP}")
        self.base_url = validate_base_url(base_url)
        self._key = api_key.strip()
        if not all(33 <= ord(c) <= 126 for c in self._key):
            # requests would refuse the header with the value in its message: stop it here.
            raise ConfigurationError("The AudioShake API key contains spaces or characters a key cannot "
                                     f"have (a paste from a document?). Copy it again. {KEY_HELP}")
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.cancel = cancel or CancelToken()
        self._api = requests.Session()
        self._api.headers.update({"x-api-key": self._key, "User-Agent": f"cuesheet/{__version__}"})
        self._files = requests.Session()  # output links: signed URLs, never the key
        self._files.headers.update({"User-Agent": f"cuesheet/{__version__}"})

    def __enter__(self) -> AudioShakeClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._api.close()
        self._files.close()

    def redact(self, text: str) -> str:
        return redact(text, self._key)

    # ---- API calls -------------------------------------------------------------------

    def list_models(self) -> list[dict[str, Any]]:
        data = self._json("GET", "/models")
        models = data.get("models", data.get("data")) if isinstance(data, dict) else data
        if not isinstance(models, list):
            raise ApiError("AudioShake GET /models: answer has no list of models")
        return [m for m in models if isinstance(m, dict)]

    def model_info(self, model: str = MODEL) -> ModelInfo | None:
        """The model's entry, found by its documented ``id``; None if the account's list lacks it."""
        return find_model(self.list_models(), model)

    def model_access(self, model: str = MODEL) -> str | None:
        """``"enabled"``, ``"request_access"`` (or another word the API uses), None if not listed."""
        info = self.model_info(model)
        return info.access if info is not None else None

    def upload_asset(self, path: Path, progress: BytesProgress | None = None) -> dict[str, Any]:
        """``POST /assets`` as a streamed multipart body with one field ``file``."""
        path = Path(path)
        size = path.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise ApiError(f"{path.name}: {size / 1024**3:.2f} GB is over AudioShake's 2 GB upload limit")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"

        def body() -> tuple[Any, dict[str, str], Callable[[], None]]:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the returned closer after the try
            encoder = MultipartEncoder(fields={"file": (path.name, fh, content_type)})

            def on_chunk(monitor: MultipartEncoderMonitor) -> None:
                self.cancel.raise_if_cancelled()  # between upload chunks
                if progress:
                    progress(monitor.bytes_read, monitor.len)

            monitor = MultipartEncoderMonitor(encoder, on_chunk)
            return monitor, {"Content-Type": monitor.content_type}, fh.close

        data = self._json("POST", "/assets", body=body)
        if not isinstance(data, dict) or not data.get("id"):
            raise ApiError("AudioShake POST /assets: answer has no asset id")
        return data

    def create_task(self, asset_id: str, metadata: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"assetId": asset_id, "targets": [{"model": MODEL, "formats": ["json"]}]}
        if metadata:
            payload["metadata"] = metadata
        data = self._json("POST", "/tasks", json_body=payload)
        if not isinstance(data, dict) or not data.get("id"):
            raise ApiError("AudioShake POST /tasks: answer has no task id")
        return data

    def get_task(self, task_id: str) -> dict[str, Any]:
        data = self._json("GET", f"/tasks/{quote(task_id, safe='')}")
        if not isinstance(data, dict):
            raise ApiError("AudioShake GET /tasks: answer is not a task object")
        return data

    def download(self, url: str, progress: BytesProgress | None = None) -> bytes:
        """Fetch an output link (no key sent). Raises ``LinkExpired`` on 400/401/403/404/410."""
        _check_link(url)
        where = "output link"
        for attempt in range(1, self.retry.attempts + 1):
            self.cancel.raise_if_cancelled()
            retry_after = None
            try:
                with self._files.get(url, stream=True, timeout=self.timeout) as resp:
                    if resp.status_code in (400, 401, 403, 404, 410):
                        raise LinkExpired(f"{resp.status_code} {resp.reason}")
                    if resp.status_code in RETRY_STATUSES:
                        problem = f"HTTP {resp.status_code} {resp.reason}"
                        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                    elif resp.status_code >= 300:
                        raise ApiError(f"AudioShake {where}: {self._status_text(resp)}", resp.status_code)
                    else:
                        return self._read_limited(resp, progress)
            except (Cancelled, LinkExpired, ApiError):
                raise
            except TRANSIENT_ERRORS as exc:
                problem = self._transient_text(exc)
            self._backoff(attempt, "GET", where, problem, retry_after)
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- plumbing --------------------------------------------------------------------

    def _read_limited(self, resp: requests.Response, progress: BytesProgress | None) -> bytes:
        total = int(resp.headers.get("Content-Length") or 0)
        chunks: list[bytes] = []
        got = 0
        for chunk in resp.iter_content(64 * 1024):
            self.cancel.raise_if_cancelled()
            chunks.append(chunk)
            got += len(chunk)
            if got > MAX_RESULT_BYTES:
                raise ApiError(f"AudioShake output is larger than {MAX_RESULT_BYTES // 1024**2} MB; not an events file")
            if progress:
                progress(got, total)
        return b"".join(chunks)

    def _json(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: Callable[[], tuple[Any, dict[str, str], Callable[[], None]]] | None = None,
    ) -> Any:
        resp = self._request(method, path, json_body=json_body, body=body)
        try:
            return resp.json()
        except ValueError:
            raise ApiError(f"AudioShake {method} {path}: the answer is not JSON ({self._status_text(resp)})",
                           resp.status_code) from None

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: Callable[[], tuple[Any, dict[str, str], Callable[[], None]]] | None = None,
    ) -> requests.Response:
        url = self.base_url + path
        for attempt in range(1, self.retry.attempts + 1):
            self.cancel.raise_if_cancelled()
            retry_after = None
            data, headers, closer = body() if body else (None, {}, None)
            started = time.monotonic()
            try:
                resp = self._api.request(method, url, json=json_body, data=data, headers=headers,
                                         timeout=self.timeout, allow_redirects=False)
            except Cancelled:
                raise
            except TRANSIENT_ERRORS as exc:
                problem = self._transient_text(exc)
            else:
                log.debug("AudioShake %s %s -> %s in %.2f s", method, path, resp.status_code,
                          time.monotonic() - started)
                if resp.status_code < 300:
                    return resp
                if resp.status_code not in RETRY_STATUSES:
                    raise self._api_error(resp, method, path)
                problem = self._error_text(resp)
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            finally:
                if closer:
                    closer()
            self._backoff(attempt, method, path, problem, retry_after)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int, method: str, path: str, problem: str, retry_after: float | None) -> None:
        if attempt >= self.retry.attempts:
            raise UnreachableError(self.redact(
                f"AudioShake {method} {path} failed {attempt} times, last: {problem}. "
                "Check the network, or try again later."))
        wait = self.retry.delay(attempt, retry_after)
        log.info("AudioShake %s %s: %s; retry %d in %.1f s", method, path, self.redact(problem), attempt, wait)
        if self.cancel.wait(wait):
            raise Cancelled()

    def _transient_text(self, exc: Exception) -> str:
        """A short reason ("Connection refused", "RemoteDisconnected") rather than urllib3's essay."""
        kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
        text = str(exc)
        found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text) or re.search(r"(RemoteDisconnected|"
                                                                           r"ConnectionResetError|"
                                                                           r"BrokenPipeError|"
                                                                           r"IncompleteRead)", text)
        reason = found.group(1).strip() if found else type(exc).__name__
        return self.redact(f"{kind}: {reason}")

    def _api_error(self, resp: requests.Response, method: str, path: str) -> ApiError:
        if resp.status_code == 401:
            return AuthError(
                f"AudioShake rejected the API key (HTTP 401 on {method} {path}): it is wrong or has been "
                f"revoked. {KEY_HELP}", 401)
        if 300 <= resp.status_code < 400:
            return ApiError(f"AudioShake {method} {path}: unexpected redirect (HTTP {resp.status_code}); "
                            "check the base URL", resp.status_code)
        return ApiError(self.redact(f"AudioShake refused {method} {path}: {self._error_text(resp)}"),
                        resp.status_code)

    def _error_text(self, resp: requests.Response) -> str:
        """The server's own words (``message``/``error`` of a JSON body), else the status line."""
        detail = None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("message", "error"):
                value = data.get(key)
                if isinstance(value, dict):
                    value = value.get("message") or value.get("code")
                if isinstance(value, str) and value.strip():
                    detail = value.strip()[:300]
                    break
        status = self._status_text(resp)
        return self.redact(f"{detail} ({status})" if detail else status)

    @staticmethod
    def _status_text(resp: requests.Response) -> str:
        return f"HTTP {resp.status_code} {resp.reason or ''}".strip()
