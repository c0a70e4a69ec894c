"""A shared cache for week pages: every visitor of a practice sees the same free times.

Pages are keyed by the practice's calendar version, which every committed change to one of
its appointments or customers raises (a session hook; the staff calendar feed in feeds.py
is keyed by it too, and shows customers' names), by a settings version that any change to
hours, absences, types, resources, statuses, branches or their openings and closing days
raises, and by the minute, because the minimum lead time moves with the clock. So a cached
page is never older than a minute, nor older than the last booking or settings change.
Redis holds it, shared by all web processes; without Redis nothing is cached. Booking
re-checks availability under the resource lock anyway: a stale page cannot double-book.
"""

from __future__ import annotations

import hashlib
import logging

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.models import (
    Absence,
    Appointment,
    AppointmentType,
    Branch,
    BranchDay,
    Customer,
    Practice,
    Resource,
    Status,
    WorkingHours,
)

TTL_SECONDS = 60
_INFO_KEY = "calendar_changed"
log = logging.getLogger("termine.cache")


def install(session_class) -> None:
    """Bump a practice's calendar version after any commit that touched its appointments
    (or customers, whose names the staff feed shows)."""
    if event.contains(session_class, "after_flush", _collect):
        return
    event.listen(session_class, "after_flush", _collect)
    event.listen(session_class, "after_commit", _bump)
    event.listen(session_class, "after_rollback", _forget)


# Settings that shape free times; a change to any of them invalidates every cached page.
SETTINGS = (Absence, AppointmentType, Branch, BranchDay, Practice, Resource, Status, WorkingHours)


def _collect(session: Session, _context) -> None:
    touched = session.info.setdefault(_INFO_KEY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (Appointment, Customer)) and obj.practice_id is not None:
            touched.add(obj.practice_id)
        elif isinstance(obj, SETTINGS):
            touched.add("settings")


def _bump(session: Session) -> None:
    touched = session.info.pop(_INFO_KEY, None)
    if not touched:
        return
    try:
        with current_app.extensions["redis"].pipeline() as pipe:
            for practice_id in touched:
                pipe.incr(f"calver:{practice_id}")
            pipe.execute()
    except (RedisError, RuntimeError) as error:
        log.warning(
            "calendar version not bumped", extra={"fields": {"error": type(error).__name__}}
        )


def _forget(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)


# One round trip for a hit: slug -> practice, its calendar version, then the page itself.
_LOOKUP = """
local id = redis.call('GET', 'slug:' .. ARGV[1])
if not id then return false end
local version = (redis.call('GET', 'calver:' .. id) or '0') .. '.' ..
    (redis.call('GET', 'calver:settings') or '0')
return redis.call('GET', 'week:' .. id .. ':' .. version .. ':' .. ARGV[2] .. ':' .. ARGV[3])
"""


def _script(redis):
    """The registered lookup script, one per Redis client (registering hashes the source)."""
    script = getattr(redis, "_week_lookup", None)
    if script is None:
        script = redis._week_lookup = redis.register_script(_LOOKUP)
    return script


def lookup(slug: str, query: bytes, minute: int) -> tuple[str | None, bytes | None]:
    """(csp, body) of the cached week page, or (None, None) on a miss.

    A hit needs no database at all: the slug maps to the practice in Redis too.
    """
    redis = current_app.extensions["redis"]
    try:
        cached = _script(redis)(args=[slug, minute, _digest(query)])
    except RedisError:
        return None, None
    if not cached:
        return None, None
    csp, _, body = cached.partition(b"\n")
    return csp.decode(), body


def store(slug: str, practice_id: int, query: bytes, minute: int, csp: str, body: bytes) -> None:
    """Remember the page (with its CSP, which names the practice's origins) for a minute."""
    redis = current_app.extensions["redis"]
    try:
        versions = redis.mget(f"calver:{practice_id}", "calver:settings")
        version = ".".join((v or b"0").decode() for v in versions)
        key = f"week:{practice_id}:{version}:{minute}:{_digest(query)}"
        with redis.pipeline() as pipe:
            pipe.set(f"slug:{slug}", practice_id, ex=3600)
            pipe.set(key, csp.encode() + b"\n" + body, ex=TTL_SECONDS)
            pipe.execute()
    except RedisError:
        pass


def _digest(query: bytes) -> str:
    return hashlib.sha256(query).hexdigest()[:24]
