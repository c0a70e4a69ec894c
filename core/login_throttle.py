"""Console login throttling: failures only, a growing per-account delay, a per-address ceiling.

A fixed limit per account lets anyone lock a real user out by typing wrong passwords, and
counting successes locks out staff who simply log in often. So only failures count, a success
clears the account's record, and beyond `limit` failures each further attempt for that account
must wait an interval that doubles per failure up to MAX_DELAY: an attacker gets a handful of
guesses an hour, a locked-out user waits at most MAX_DELAY. The client address keeps a plain
ceiling of failures per window. Like every rate limit here it fails open when Redis is down.
"""

from __future__ import annotations

from datetime import datetime

from core.ratelimit import key, unavailable

FIRST_DELAY = 30  # seconds, after `limit` failures; doubles with each further failure
MAX_DELAY = 15 * 60
ACCOUNT_MEMORY = 24 * 3600  # an account's failures are forgotten a day after the last one
ADDRESS_WINDOW = 15 * 60
ADDRESS_FACTOR = 4  # a client address may fail this many times `limit` per window


def wait_seconds(store, email: str, address: str, limit: int, now: datetime) -> int:
    """Seconds before the next attempt for `email` from `address` may be checked; 0 = now."""
    try:
        until, address_failures = store.mget(_wait_key(email), _address_key(address))
        address_wait = store.ttl(_address_key(address))
    except Exception as error:  # noqa: BLE001 - any store failure: fail open, say so
        unavailable(error)
        return 0
    waits = [int(float(until)) - int(now.timestamp()) if until else 0]
    if address_failures and int(address_failures) >= limit * ADDRESS_FACTOR:
        waits.append(max(address_wait, 1))
    return max(0, *waits)


def record_failure(store, email: str, address: str, limit: int, now: datetime) -> None:
    """Count a failed attempt; beyond `limit` failures the account must wait before the next."""
    failures_key, ip_key = _failures_key(email), _address_key(address)
    try:
        pipe = store.pipeline()
        pipe.incr(failures_key)
        pipe.expire(failures_key, ACCOUNT_MEMORY)
        pipe.incr(ip_key)
        pipe.expire(ip_key, ADDRESS_WINDOW, nx=True)
        failures = int(pipe.execute()[0])
        if failures >= limit:
            delay = delay_after(failures, limit)
            store.set(_wait_key(email), int(now.timestamp()) + delay, ex=delay)
    except Exception as error:  # noqa: BLE001
        unavailable(error)


def record_success(store, email: str) -> None:
    """A correct password clears the account's failures (not the address's)."""
    try:
        store.delete(_failures_key(email), _wait_key(email))
    except Exception as error:  # noqa: BLE001
        unavailable(error)


def delay_after(failures: int, limit: int) -> int:
    """The wait after the `failures`-th failure: FIRST_DELAY at `limit`, doubling, capped."""
    return min(FIRST_DELAY * 2 ** min(failures - limit, 16), MAX_DELAY)


def _failures_key(email: str) -> str:
    return key("login-fail", email or "-")


def _wait_key(email: str) -> str:
    return key("login-wait", email or "-")


def _address_key(address: str) -> str:
    return key("login-ip", address or "-")
