"""The conditional GET of every polled console region (the inbox, the navigation's count):
one place decides whether anything changed, so an unchanged poll answers 304 before any
page is built, and a cheaper change check (a per-practice version) goes in here alone."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, request
from flask_login import current_user

from clock import utcnow
from console.render import is_htmx_request
from core import triage
from extensions import db

AGO_BUCKET_SECONDS = 600  # "x minutes ago" may change every 10 minutes


def conditional(build: Callable[[], Response]) -> Response:
    """304 when this user's poll of this URL would show what it showed last, else `build()`
    with the ETag that lets the next poll answer 304."""
    version = triage.inbox_version(db.session, current_user.practice_id)
    bucket = int(utcnow().timestamp() // AGO_BUCKET_SECONDS)
    etag = f"{version}-{bucket}-{request.full_path}-{current_user.id}"
    if is_htmx_request() and etag in request.if_none_match:
        return Response(status=304)
    response = build()
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response
