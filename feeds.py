"""The staff calendar feed at `/feeds/<token>.ics`, for Outlook, Google and Apple Calendar.

No login: the token in the URL is the credential (core.feed keeps only its hash; the request
log names the endpoint, never the path). Calendar programs poll, so an unchanged feed costs
one indexed query and one Redis read: the body is cached under the practice's calendar
version, which an after-commit hook raises on every change of its appointments, customers or
settings (versions.py), and the ETag is the body's digest, so a client that holds it gets
304. Correctness never rests on Redis: without it every request builds the feed from the
database (same bytes, same ETag), and a cached body lives five minutes at most, which bounds
what a version bump lost while Redis was away can leave behind.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, abort, current_app, request, url_for
from redis.exceptions import RedisError

import versions
from clock import utcnow
from core import feed as feeds
from core import ics
from core.models import CalendarFeed
from extensions import db

bp = Blueprint("feeds", __name__)
log = logging.getLogger("termine.feeds")
CACHE_SECONDS = 300


@bp.get("/feeds/<token>.ics")
def calendar(token: str):
    found = feeds.find(db.session, token)
    if found is None:
        abort(404)
    key = _cache_key(found)
    cached = _cached(key) if key else None
    etag, body = cached or _build(found)
    if key and cached is None:
        _store(key, etag, body)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="termine.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(etag)
    return response.make_conditional(request)


def _build(found: CalendarFeed) -> tuple[str, bytes]:
    practice = found.practice
    name = practice.name + (f" – {found.resource.name}" if found.resource else "")
    prefix = current_app.config["BASE_URL"] + url_for("console.appointment", appointment_id=0)
    prefix = prefix.removesuffix("0")
    body = ics.feed(
        practice,
        feeds.appointments(db.session, found, utcnow()),
        uid=f"feed-{found.id}@termine",
        name=name,
        details=practice.feed_shows_contact,
        link=lambda a: f"{prefix}{a.id}",
    )
    return hashlib.sha256(body).hexdigest()[:32], body


def _cache_key(found: CalendarFeed) -> str | None:
    """The cache key at the practice's current calendar and settings versions (the keys
    versions.py raises), or None when Redis does not answer."""
    try:
        version = versions.read(
            current_app.extensions["redis"], found.practice_id, versions.CALENDAR, versions.SETTINGS
        )
    except RedisError as error:
        log.warning("feed cache unavailable", extra={"fields": {"error": type(error).__name__}})
        return None
    return f"feed:{found.id}:{version}"


def _cached(key: str) -> tuple[str, bytes] | None:
    try:
        value = current_app.extensions["redis"].get(key)
    except RedisError:
        return None
    if not value:
        return None
    etag, _, body = value.partition(b"\n")
    return etag.decode(), body


def _store(key: str, etag: str, body: bytes) -> None:
    try:
        current_app.extensions["redis"].set(key, etag.encode() + b"\n" + body, ex=CACHE_SECONDS)
    except RedisError:
        pass
