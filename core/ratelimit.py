"""Fixed-window rate limits on a Redis-like counter store.

Limits protect against floods, not against a determined attacker, so they fail open: when
Redis is unreachable the booking goes through (the outbox and the lock still hold).
"""

from __future__ import annotations

import hashlib
import logging

log = logging.getLogger("termine.ratelimit")


def allow(store, scope: str, subject: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt of `subject` in `scope`; False once more than `limit` in the window.

    The subject (an IP, an email) is hashed so that Redis holds no personal data.
    """
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    key = f"rl:{scope}:{digest}"
    try:
        pipe = store.pipeline()
        pipe.incr(key)
        pipe.expire(key, window_seconds, nx=True)
        count, _ = pipe.execute()
    except Exception as error:  # noqa: BLE001 - any store failure: fail open, say so once
        log.warning(
            "rate limit store unavailable", extra={"fields": {"error": type(error).__name__}}
        )
        return True
    return int(count) <= limit
