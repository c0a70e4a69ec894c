"""The customer's links from an email: the cancel page and the `.ics` download.

GET never changes anything (mail scanners and link previews follow links); only the form's
POST cancels. The widget sets no cookies, so the POST is protected by the signed token in the
URL plus a same-origin check of Origin (or Referer).
"""

from __future__ import annotations

from flask import Response, g, render_template, request

from clock import utcnow
from core import cancellation
from extensions import db
from notifications.calendar import calendar_file
from notifications.formatting import when
from widget.blueprint import bp
from widget.guards import link_problem, load_appointment, same_origin


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
        when=when(appointment, g.locale),
        outcome=outcome,
        refused=refused,
        Outcome=cancellation.Outcome,
    )


@bp.get("/<slug>/a/<token>/Termin.ics", endpoint="ics")
def ics_download(slug: str, token: str):
    appointment = load_appointment(slug, token)
    body = calendar_file(appointment, utcnow())
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="Termin.ics"'},
    )
