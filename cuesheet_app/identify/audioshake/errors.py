"""Errors of the AudioShake client, each with a message a user can act on (never the key)."""

from __future__ import annotations

from cuesheet_app.identify.base import IdentificationError

KEY_HELP = (
    "Get a key from your AudioShake developer dashboard (API keys page) and enter it in "
    "Settings ▸ AudioShake, or set AUDIOSHAKE_API_KEY."
)


class AudioShakeError(IdentificationError):
    """Any failure talking to AudioShake."""


class ConfigurationError(AudioShakeError):
    """No key, or a base URL we refuse to send a key to."""


class ApiError(AudioShakeError):
    """The API answered with an error status; ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(ApiError):
    """401: the key is wrong or revoked."""


class NoAccessError(AudioShakeError):
    """The account cannot use ``music_identification`` (``access: request_access``)."""


class OverLimitError(AudioShakeError):
    """The programme is beyond a limit the model list gives (e.g. ``maxInputDurationSeconds``)."""


class CostDeclined(AudioShakeError):
    """The user said no to the estimated cost: nothing was uploaded or started."""


class UnreachableError(AudioShakeError):
    """Connection errors or 429/5xx that outlasted every retry."""


class TaskFailed(AudioShakeError):
    """The target ended in ``error`` or ``failed``: the task is over, a new run starts anew."""


class TaskTimeout(AudioShakeError):
    """The task was still processing when the total timeout ran out; it can be resumed."""
