"""The customer's "Termin verschieben" link: the week grid of the same type and branch, then
a confirmation page whose button moves the appointment.

GET never changes anything (mail scanners follow links); only the confirmation's POST
moves, protected like the cancel page by the signed link and a same-origin check. A time
taken meanwhile answers with the nearest free ones, as the booking form does.
"""

from __future__ import annotations

from datetime import datetime

from flask import g, request
from flask_babel import gettext as _

import links
from clock import utcnow
from core import booking, rescheduling, tokens
from core.models import Appointment
from extensions import db
from notifications import formatting
from widget.blueprint import bp
from widget.booking import parse_start
from widget.choice import Choice
from widget.common import WidgetError, appointment_page, int_arg
from widget.guards import link_problem, load_appointment, same_origin
from widget.week import nearest_free, week_page


def _load(slug: str, token: str) -> Appointment:
    appointment = load_appointment(slug, token, tokens.Purpose.RESCHEDULE)
    g.practice = appointment.practice
    return appointment


def _choice(appointment: Appointment) -> Choice:
    """The same type and branch (any of its resources, or the one the customer picks)."""
    a = appointment
    return Choice(a.practice, a.type_id, a.branch_id, int_arg("resource"))


@bp.get("/<slug>/move/<token>/week", endpoint="reschedule")
def reschedule_week(slug: str, token: str):
    appointment = _load(slug, token)
    refused = rescheduling.refusal(appointment, utcnow())
    if refused is not None:
        return _page(appointment, refused=refused)
    choice = _choice(appointment)
    return week_page(
        appointment.practice,
        choice,
        template="widget/reschedule_week.html",
        appointment=appointment,
        when=formatting.when(appointment, g.locale),
    )


@bp.route("/<slug>/move/<token>/book", methods=["GET", "POST"], endpoint="reschedule_to")
def reschedule_to(slug: str, token: str):
    appointment = _load(slug, token)
    now = utcnow()
    if request.method == "GET":
        start = parse_start(appointment.practice, request.args.get("start", ""))
        refused = rescheduling.refusal(appointment, now)
        if refused is None and start == appointment.start:
            refused = rescheduling.Refusal.SAME_TIME
        if refused is not None:
            return _page(appointment, refused=refused)
        if not _offered(appointment, start, now):
            return _taken(appointment, start, now)
        return _page(appointment, starts=[start])
    if not same_origin():
        return link_problem("cross_site", 403)
    start = _posted_start()
    old = formatting.when(appointment, g.locale)
    try:
        rescheduling.reschedule(db.session, appointment.id, start, now)
    except rescheduling.Refused as error:
        return _page(appointment, refused=error.refusal)
    except booking.SlotTaken:
        return _taken(appointment, start, now)
    return _page(appointment, moved_from=old)


def _offered(appointment: Appointment, start: datetime, now: datetime) -> bool:
    return any(
        booking.slot_is_offered(
            db.session,
            appointment.practice,
            appointment.type,
            r,
            start,
            now,
            exclude_id=appointment.id,
        )
        for r in _choice(appointment).resources
    )


def _posted_start() -> datetime:
    try:
        start = datetime.fromisoformat(request.form.get("start", ""))
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise WidgetError(400, _("Please choose a time."))
    return start


def _taken(appointment: Appointment, lost: datetime, now: datetime):
    """The usual "just taken" answer, with the nearest free times to choose from."""
    choice = _choice(appointment)
    alternatives = nearest_free(appointment.practice, choice, lost, now)
    return _page(appointment, starts=alternatives, taken=True, status=409)


def _page(appointment: Appointment, *, status: int = 200, **state):
    values = {"refused": None, "starts": [], "taken": False, "moved_from": None, **state}
    lang = request.args.get("lang")
    return appointment_page(
        "widget/reschedule.html",
        appointment,
        status=status,
        Refusal=rescheduling.Refusal,
        week_url=links.reschedule_url(appointment, lang=lang),
        cancel_url=links.cancel_url(appointment, lang=lang),
        ics_url=links.ics_url(appointment, lang=lang),
        **values,
    )
