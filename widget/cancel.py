"""The customer's links from an email: the cancel page and the `.ics` download.

GET never changes anything (mail scanners and link previews follow links); only the form's
POST cancels. The widget sets no cookies, so the POST is protected by the signed token in the
URL plus a same-origin check of Origin (or Referer).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, abort, current_app, g, make_response, render_template, request
from sqlalchemy import select

import links
from clock import utcnow
from core import cancellation, tokens
from core import ics as calendar_file
from core.models import Appointment, Practice
from extensions import db
from notifications import formatting
from widget import bp


@bp.route("/<slug>/cancel/<token>", methods=["GET", "POST"])
def cancel(slug: str, token: str):
    appointment = load_appointment(slug, token)
    outcome = None
    if request.method == "POST":
        if not same_origin():
            return link_problem("cross_site", 403)
        outcome = cancellation.cancel_by_customer(db.session, appointment.id, now=utcnow())
    refused = cancellation.state(appointment, utcnow()) if outcome is None else None
    return render_template(
        "widget/cancel.html",
        practice=appointment.practice,
        appointment=appointment,
        when=formatting.when(appointment, g.locale),
        outcome=outcome,
        refused=refused,
        Outcome=cancellation.Outcome,
    )


@bp.get("/<slug>/a/<token>/Termin.ics", endpoint="ics")
def ics_download(slug: str, token: str):
    appointment = load_appointment(slug, token)
    method = calendar_file.method_for(appointment)
    body = calendar_file.build(appointment, method=method, now=utcnow())
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="Termin.ics"'},
    )


def load_appointment(slug: str, token: str) -> Appointment:
    """The appointment the token names, within the practice the URL names, or a 4xx page."""
    try:
        appointment_id, practice_id = links.read_customer_token(token)
    except tokens.ExpiredToken:
        abort(link_problem("expired", 410))
    except tokens.BadToken:
        abort(link_problem("invalid", 404))
    appointment = db.session.scalar(
        select(Appointment)
        .join(Practice, Appointment.practice_id == Practice.id)
        .where(
            Appointment.id == appointment_id,
            Appointment.practice_id == practice_id,
            Practice.slug == slug,
        )
    )
    if appointment is None:
        abort(link_problem("invalid", 404))
    g.locale = appointment.practice.language
    return appointment


def link_problem(problem: str, status: int) -> Response:
    page = render_template("widget/cancel_problem.html", practice=None, problem=problem)
    return make_response(page, status)


def same_origin() -> bool:
    """The POST came from our own page: Origin (or, lacking it, Referer) names this host."""
    source = _origin(request.headers.get("Origin") or request.headers.get("Referer") or "")
    allowed = {_origin(request.host_url), _origin(current_app.config["BASE_URL"])}
    return source is not None and source in allowed


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None
