"""Fixed-window rate limits on a Redis-like counter store.

Limits protect against floods, not against a determined attacker, so they fail open: when
Redis is unreachable the booking goes through (the outbox and the lock still hold).
"""

from __future__ import annotations

import hashlib
import logging

log = logging.getLogger("termine.ratelimit")


def allow(store, scope: str, subject: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt of `subject` in `scope`; False once more than `limit` in the window."""
    counter = key(scope, subject)
    try:
        pipe = store.pipeline()
        pipe.incr(counter)
        pipe.expire(counter, window_seconds, nx=True)
        count, _ = pipe.execute()
    except Exception as error:  # noqa: BLE001 - any store failure: fail open, say so once
        unavailable(error)
        return True
    return int(count) <= limit


def key(scope: str, subject: str) -> str:
    """The Redis key of `subject` in `scope`, hashed so that Redis holds no personal data."""
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def unavailable(error: Exception) -> None:
    """Log that the store failed (its type only: messages may carry keys)."""
    log.warning("rate limit store unavailable", extra={"fields": {"error": type(error).__name__}})
