"""The settings dialog's "Test connection": one ``GET /models``, one human sentence back."""

from __future__ import annotations

from cuesheet_app.identify.audioshake.client import MODEL, AudioShakeClient
from cuesheet_app.identify.audioshake.errors import (
    AudioShakeError,
    AuthError,
    ConfigurationError,
    UnreachableError,
)
from cuesheet_app.identify.audioshake.retry import RetryPolicy
from cuesheet_app.settings.secrets import redact


def check_connection(base_url: str, api_key: str, timeout_s: float = 10.0) -> str:
    """A message for the user: access enabled / request access / bad key / unreachable.

    Never raises and never includes the key; it tries only twice so a button click
    answers within seconds.
    """
    try:
        with AudioShakeClient(base_url, api_key, retry=RetryPolicy(attempts=2, base_delay_s=0.5),
                              timeout=(timeout_s, timeout_s)) as client:
            access = client.model_access(MODEL)
    except AuthError:
        return "The API key was rejected: it is wrong or has been revoked. Copy a key from your " \
               "AudioShake developer dashboard (API keys page)."
    except ConfigurationError as exc:
        return redact(str(exc), api_key)
    except UnreachableError as exc:
        return redact(f"Cannot reach AudioShake at {base_url}: {exc}", api_key)
    except AudioShakeError as exc:
        return redact(f"AudioShake answered with an error: {exc}", api_key)
    except Exception as exc:  # noqa: BLE001 - a button must never crash the dialog
        return redact(f"Cannot reach AudioShake at {base_url}: {type(exc).__name__}", api_key)
    if access == "enabled":
        return f"Connected. The key works and {MODEL} is enabled for this account."
    if access is None:
        return f"Connected, but this account's model list has no {MODEL}: ask AudioShake for access."
    return (f"Connected, but {MODEL} is not enabled for this account ({access}): request access "
            "from AudioShake (partner pre-release) before identifying.")
