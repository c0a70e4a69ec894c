"""Calendar subscriptions in the console: each staff member makes secret feed URLs (all of
the practice's appointments, or one resource's) for Outlook, Google or Apple Calendar, renews
one whose URL leaked and revokes one no longer used; an admin sees and revokes everyone's.

The URL is shown once, in the answer to the POST that made it: only its hash is stored.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from clock import utcnow
from console.blueprint import bp
from console.common import get, id_value, practice
from console.render import render
from core import feed
from core.models import CalendarFeed
from extensions import db


def feeds_context(**extra) -> dict:
    p = practice()
    return {
        "practice": p,
        "feeds": feed.visible_to(db.session, current_user.user),
        "resources": [r for b in p.branches for r in b.resources if r.active],
        "new_url": None,
        **extra,
    }


def feed_url(token: str) -> str:
    return current_app.config["BASE_URL"] + url_for("feeds.calendar", token=token)


@bp.get("/feeds")
def feeds_page():
    return render("console/feeds.html", **feeds_context())


@bp.post("/feeds")
def create_feed():
    resource_id = id_value(request.form, "resource")
    _made, token = feed.create(db.session, current_user.user, resource_id, now=utcnow())
    return render("console/feeds.html", **feeds_context(new_url=feed_url(token)))


@bp.post("/feeds/<int:feed_id>/renew")
def renew_feed(feed_id: int):
    found = get(CalendarFeed, feed_id)
    if found.user_id != current_user.user.id:
        abort(404)  # the new URL goes to its owner only
    token = feed.renew(db.session, found, now=utcnow())
    return render("console/feeds.html", **feeds_context(new_url=feed_url(token)))


@bp.post("/feeds/<int:feed_id>/revoke")
def revoke_feed(feed_id: int):
    found = get(CalendarFeed, feed_id)
    if found.user_id != current_user.user.id and not current_user.is_admin:
        abort(404)
    feed.revoke(db.session, found)
    return redirect(url_for("console.feeds_page"), code=303)
