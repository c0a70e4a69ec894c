"""Per-practice change versions in Redis, raised after every commit that changes a practice.

Three counters per practice, so that each cache answers "unchanged?" with one Redis read and
never a query, and a change in one practice never invalidates another's:

- `calver:<id>`: its appointments or customers (week pages, the staff calendar feed);
- `setver:<id>`: whatever shapes free times or pages (hours, absences, types, resources,
  statuses, branches, their closing days, the practice row itself);
- `inboxver:<id>`: anything the console's polled regions show (all of the above, and the
  practice's logins, so a deactivated login's next poll misses and is refused).

A missing counter (a new practice, a flushed Redis) starts at the current time in
microseconds, never at 0: a version seen before a flush cannot come back after it and
turn a stale ETag or page into a hit. Without Redis nothing is cached, nothing breaks.
"""

from __future__ import annotations

import logging
import time

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
    User,
    WorkingHours,
)

CALENDAR, SETTINGS, INBOX = "calver", "setver", "inboxver"
_INFO_KEY = "practice_versions_touched"
log = logging.getLogger("termine.versions")

# Rows whose change reaches the practice's pages: their practice id, found without a query
# where the row carries it, through its resource or branch (usually in the session) where not.
SETTINGS_ROWS = (
    Absence,
    AppointmentType,
    Branch,
    BranchDay,
    Practice,
    Resource,
    Status,
    WorkingHours,
)


def key(kind: str, practice_id: int) -> str:
    return f"{kind}:{practice_id}"


def install(session_class) -> None:
    """Raise the touched practices' versions after each commit (once per process)."""
    if event.contains(session_class, "after_flush", _collect):
        return
    event.listen(session_class, "after_flush", _collect)
    event.listen(session_class, "after_commit", _bump)
    event.listen(session_class, "after_rollback", _forget)


def _collect(session: Session, _context) -> None:
    touched: dict[int, set[str]] = session.info.setdefault(_INFO_KEY, {})
    for obj in (*session.new, *session.dirty, *session.deleted):
        kinds = _kinds_of(obj)
        if kinds and (practice_id := _practice_of(session, obj)) is not None:
            touched.setdefault(practice_id, set()).update(kinds)


def _kinds_of(obj) -> tuple[str, ...]:
    if isinstance(obj, (Appointment, Customer)):
        return CALENDAR, INBOX
    if isinstance(obj, SETTINGS_ROWS):
        return SETTINGS, INBOX
    if isinstance(obj, User):
        return (INBOX,)
    return ()


def _practice_of(session: Session, obj) -> int | None:
    if isinstance(obj, Practice):
        return obj.id
    if isinstance(obj, (WorkingHours, Absence)):
        resource = session.get(Resource, obj.resource_id) if obj.resource_id else None
        return resource.practice_id if resource is not None else None
    if isinstance(obj, BranchDay):
        branch = session.get(Branch, obj.branch_id) if obj.branch_id else None
        return branch.practice_id if branch is not None else None
    return obj.practice_id


_BUMP = """
for i, name in ipairs(KEYS) do
  if redis.call('EXISTS', name) == 1 then redis.call('INCR', name)
  else redis.call('SET', name, ARGV[1]) end
end
"""


def _bump(session: Session) -> None:
    touched = session.info.pop(_INFO_KEY, None)
    if not touched:
        return
    names = [key(kind, pid) for pid, kinds in touched.items() for kind in sorted(kinds)]
    try:
        script(current_app.extensions["redis"], "_versions_bump", _BUMP)(
            keys=names, args=[_fresh()]
        )
    except (RedisError, RuntimeError) as error:
        log.warning("versions not bumped", extra={"fields": {"error": type(error).__name__}})


def _forget(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)


_READ = """
local out = {}
for i, name in ipairs(KEYS) do
  local v = redis.call('GET', name)
  if not v then v = ARGV[1]; redis.call('SET', name, v, 'NX'); v = redis.call('GET', name) end
  out[i] = v
end
return out
"""


def read(redis, practice_id: int, *kinds: str) -> str:
    """The practice's current versions of `kinds`, joined; starts missing ones (one round
    trip). Raises RedisError when Redis does not answer: the caller then caches nothing."""
    values = script(redis, "_versions_read", _READ)(
        keys=[key(kind, practice_id) for kind in kinds], args=[_fresh()]
    )
    return ".".join(v.decode() for v in values)


def _fresh() -> str:
    return str(time.time_ns() // 1000)


def script(redis, attribute: str, source: str):
    """A registered Lua script, one per Redis client (registering hashes the source)."""
    found = getattr(redis, attribute, None)
    if found is None:
        found = redis.register_script(source)
        setattr(redis, attribute, found)
    return found
