"""The conditional GET of every polled console region (the inbox, the navigation's count):
one place decides whether anything changed, so an unchanged poll answers 304 before any
page is built — and before any database work at all.

The ETag is the practice's inbox version (versions.py: raised after every commit that
changes its appointments, customers, settings or logins), the "x minutes ago" bucket, the
URL and the session's login id. `unchanged_poll` runs ahead of the login guard and reads
only the signed session cookie and one Redis counter: a session that has no login (logged
out, expired, cleared) has nothing to compare and goes the whole way, to the login guard's
redirect. A login deactivated or given a new password raises the version, so its next
poll misses the 304 and meets the guard too. Without Redis the version comes from the
database, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, request, session
from flask_login import current_user
from redis.exceptions import RedisError

import versions
from clock import utcnow
from console.render import is_htmx_request
from core import triage
from extensions import db

AGO_BUCKET_SECONDS = 600  # "x minutes ago" may change every 10 minutes
POLLED = {"console.inbox", "console.inbox_count"}
PRACTICE_KEY = "practice_id"  # the login's practice, kept in the signed session for the polls


def unchanged_poll() -> Response | None:
    """304 for a poll whose ETag still holds, from the session's ids and one Redis read; None
    (go on as usual: log-in check, page) for anything else."""
    if request.endpoint not in POLLED or not is_htmx_request() or not request.if_none_match:
        return None
    login_id, practice_id = session.get("_user_id"), session.get(PRACTICE_KEY)
    if not isinstance(login_id, str) or not isinstance(practice_id, int):
        return None
    try:  # a plain read: a missing version is started by `conditional`, on the way through
        version = current_app.extensions["redis"].get(versions.key(versions.INBOX, practice_id))
    except RedisError:
        return None
    if version is None or _etag(version.decode(), login_id) not in request.if_none_match:
        return None
    return Response(status=304)


def conditional(build: Callable[[], Response]) -> Response:
    """304 when this user's poll of this URL would show what it showed last, else `build()`
    with the ETag that lets the next poll answer 304 (for a logged-in user)."""
    practice_id = current_user.practice_id
    if session.get(PRACTICE_KEY) != practice_id:
        session[PRACTICE_KEY] = practice_id
    version = _redis_version(practice_id)
    if version is None:
        version = "db-" + triage.inbox_version(db.session, practice_id)
    etag = _etag(version, current_user.id)
    if is_htmx_request() and etag in request.if_none_match:
        return Response(status=304)
    response = build()
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _redis_version(practice_id: int) -> str | None:
    try:
        return versions.read(current_app.extensions["redis"], practice_id, versions.INBOX)
    except RedisError:
        return None


def _etag(version: str, login_id: str) -> str:
    bucket = int(utcnow().timestamp() // AGO_BUCKET_SECONDS)
    return f"{version}-{bucket}-{request.full_path}-{login_id}"
