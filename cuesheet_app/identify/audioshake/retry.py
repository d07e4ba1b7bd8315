"""When and how long to wait before trying a request again.

Kept apart from the HTTP code so the policy is testable and the delays injectable:
tests run the whole retry path with millisecond delays.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass, field

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class RetryPolicy:
    """Bounded exponential backoff with full jitter.

    ``attempts`` counts every try (the first one too). ``max_retry_after`` caps a
    server's Retry-After so a bad header cannot park the app for a day.
    """

    attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_retry_after_s: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (1 = first retry)."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after_s))
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (retry_number - 1)))
        # Full jitter, but never less than half the step: spreads clients out
        # without collapsing to zero-delay hammering of a rate-limited API.
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)
