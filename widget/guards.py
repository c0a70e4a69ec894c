"""Guards of the widget's customer links and forms: the appointment a signed link names,
the page shown when a link is bad or expired, and the same-origin check that stands in
for a CSRF cookie (the widget sets none).

The cancel, confirm and done pages and the booking form all use them, so they live apart
from any one page.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Response, abort, current_app, g, make_response, render_template, request
from sqlalchemy import select

import links
from core import tokens
from core.models import Appointment, Practice
from extensions import db
from widget.common import url_practice


def load_appointment(slug: str, token: str, purpose: str = tokens.Purpose.CANCEL) -> Appointment:
    """The appointment the token names, within the practice the URL names, or a 4xx page."""
    appointment = load_signed(
        slug, token, lambda t: links.read_customer_token(t, purpose), Appointment
    )
    g.locale = appointment.language  # the customer's own language, whatever the link says
    return appointment


def load_signed(slug: str, token: str, read: Callable[[str], tuple[int, int]], model):
    """The row of `model` (an appointment, a waitlist offer) that a signed link names, within
    the practice the URL names, or the bad-link page (410 when only its age is wrong)."""
    try:
        row_id, practice_id = read(token)
    except tokens.ExpiredToken:
        abort(link_problem("expired", 410))
    except tokens.BadToken:
        abort(link_problem("invalid", 404))
    row = db.session.scalar(
        select(model)
        .join(Practice, model.practice_id == Practice.id)
        .where(model.id == row_id, model.practice_id == practice_id, Practice.slug == slug)
    )
    if row is None:
        abort(link_problem("invalid", 404))
    return row


def link_problem(problem: str, status: int) -> Response:
    """The bad-link page, with the practice's name and a link to its booking start."""
    practice = url_practice()
    if practice is not None and g.get("locale") is None:
        g.locale = practice.language
    page = render_template("widget/cancel_problem.html", practice=practice, problem=problem)
    return make_response(page, status)


def same_origin() -> bool:
    """The POST came from our own page: Origin (or, lacking it, Referer) names this host."""
    source = _origin(request.headers.get("Origin") or request.headers.get("Referer") or "")
    allowed = {_origin(request.host_url), _origin(current_app.config["BASE_URL"])}
    return source is not None and source in allowed


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None
