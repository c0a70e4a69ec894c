"""The inbox of new online requests, polled by htmx; an unchanged inbox answers 304."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_login import current_user

from clock import utcnow
from console.blueprint import bp
from console.common import id_value, practice
from console.render import render
from core import triage
from extensions import db


@bp.get("/")
def index():
    return redirect(url_for("console.inbox"))


def inbox_context() -> dict:
    p = practice()
    branch_id = id_value(request.args, "branch")
    processed = request.args.get("processed") == "1"
    items = triage.inbox(db.session, p.id, branch_id=branch_id, processed=processed)
    # Arrivals since the staff member opened the inbox stay highlighted: the poll URL keeps
    # that moment, so it stays the same from poll to poll and an unchanged inbox answers 304.
    since = request.args.get("since", type=int) or int(utcnow().timestamp())
    return {
        "practice": p,
        "items": items,
        "branch_id": branch_id,
        "processed": processed,
        "since": since,
        "poll_seconds": p.inbox_poll_seconds,
        "open_count": len(triage.inbox(db.session, p.id)) if processed else len(items),
    }


@bp.get("/inbox")
def inbox():
    """Polled by htmx every `inbox_poll_seconds`; an unchanged inbox answers 304."""
    version = triage.inbox_version(db.session, current_user.practice_id)
    bucket = int(utcnow().timestamp() // 600)  # "x minutes ago" may change every 10 minutes
    etag = f"{version}-{bucket}-{request.query_string.decode()}-{current_user.id}"
    if request.headers.get("HX-Request") and etag in request.if_none_match:
        return "", 304
    response = render("console/inbox.html", "inbox", **inbox_context())
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response
