"""The customer's answer to a coordination email: `/w/<slug>/confirm/<token>`.

GET shows the appointment(s) and one button; only the POST accepts or declines (mail scanners
follow GETs). Like the cancel page, the POST is protected by the signed token plus Origin.
"""

from __future__ import annotations

from flask import abort, current_app, g, render_template, request
from sqlalchemy import select

from clock import utcnow
from core import coordination, tokens
from core.models import Practice
from extensions import db
from notifications.formatting import when
from widget.blueprint import bp
from widget.guards import link_problem, same_origin


@bp.route("/<slug>/confirm/<token>", methods=["GET", "POST"])
def confirm(slug: str, token: str):
    try:
        request_id, action = coordination.read_link(current_app.config["SECRET_KEY"], token)
    except tokens.BadToken:
        abort(link_problem("invalid", 404))
    practice = db.session.scalar(select(Practice).where(Practice.slug == slug))
    found = coordination.find(db.session, practice, request_id) if practice else None
    if found is None:
        abort(link_problem("invalid", 404))
    # The language the customer booked the appointments in (staff bookings: the practice's).
    g.locale = found.appointments[0].language if found.appointments else practice.language
    answer = None
    if request.method == "POST":
        if not same_origin():
            return link_problem("cross_site", 403)
        answer = coordination.answer(db.session, found, action, now=utcnow())
    refused = coordination.preview(found, action, utcnow()) if answer is None else None
    return render_template(
        "widget/coordination.html",
        practice=practice,
        request_=found,
        action=action,
        items=[(a, when(a, g.locale)) for a in found.appointments],
        answer=answer,
        refused=refused,
        Answer=coordination.Answer,
        Action=coordination.Action,
    )
