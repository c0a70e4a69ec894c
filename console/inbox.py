"""The inbox of online requests waiting for triage, polled by htmx; an unchanged inbox
answers 304. Also the navigation's count of waiting requests, polled on every page."""

from __future__ import annotations

from flask import redirect, request, url_for

from clock import utcnow
from console.blueprint import bp
from console.common import id_value, practice
from console.polling import conditional
from console.render import render
from core import inbox as requests_inbox
from extensions import db


@bp.get("/")
def index():
    return redirect(url_for("console.inbox"))


def inbox_context() -> dict:
    p = practice()
    branch_id = id_value(request.args, "branch")
    items = requests_inbox.open_requests(db.session, p.id, branch_id=branch_id)
    # Arrivals since the staff member opened the inbox stay highlighted: the poll URL keeps
    # that moment, so it stays the same from poll to poll and an unchanged inbox answers 304.
    since = request.args.get("since", type=int) or int(utcnow().timestamp())
    return {
        "practice": p,
        "items": items,
        "total": requests_inbox.open_count(db.session, p.id, branch_id=branch_id),
        "matches": requests_inbox.exact_matches(db.session, p.id, items),
        "branch_id": branch_id,
        "since": since,
        "poll_seconds": p.inbox_poll_seconds,
    }


@bp.get("/inbox")
def inbox():
    """Polled by htmx every `inbox_poll_seconds`; an unchanged inbox answers 304."""
    if request.args.get("processed") == "1":  # an old bookmark of the processed list
        return redirect(url_for("console.processed"), code=301)
    return conditional(lambda: render("console/inbox.html", "inbox", **inbox_context()))


@bp.get("/inbox/count")
def inbox_count():
    """The navigation's count of waiting requests, polled on every console page."""
    return conditional(lambda: render("console/layout.html", "nav_count"))
