"""The day/week calendar per branch: staff bookings and moves under the booking lock."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from clock import utcnow
from console.blueprint import bp
from console.common import chosen_branch, get, id_value, practice
from console.render import render
from console.requests import detail_error, overlap_message
from core import (
    booking,
    closures,
    coordination,
    customer_search,
    planner,
    scheduling,
    triage,
    url_dates,
)
from core.availability import local_instant
from core.models import (
    Appointment,
    AppointmentType,
    Customer,
    Practice,
    Resource,
    Status,
)
from extensions import db

# What refuses a staff booking or move: a missing choice or a bad time, the time taken, the
# branch closed that day.
_REFUSED = (triage.NotFound, ValueError, booking.SlotTaken, scheduling.BranchClosed)


def calendar_context() -> dict:
    p = practice()
    tz = ZoneInfo(p.timezone)
    branch = chosen_branch(p)
    today = utcnow().astimezone(tz).date()
    try:
        day = url_dates.parse_day(request.args.get("date", ""), today)
    except url_dates.DateOutOfRange as error:
        day = error.nearest
    except ValueError:
        day = today
    view = "week" if request.args.get("view") == "week" else "day"
    resources = [r for r in branch.resources if r.active] if branch else []
    week_days = 7 if booking.works_sundays(resources) else 6  # Sunday where anyone works then
    days = (
        [day - timedelta(days=day.weekday()) + timedelta(days=i) for i in range(week_days)]
        if view == "week"
        else [day]
    )
    start = datetime.combine(days[0], time(0), tzinfo=tz)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=tz)
    show_cancelled = request.args.get("cancelled") == "1"
    query = (
        select(Appointment)
        .join(Status, Appointment.status_id == Status.id)
        .where(
            Appointment.resource_id.in_([r.id for r in resources]),
            Appointment.start < end,
            Appointment.end > start,
            Appointment.blocked.is_(False),
        )
        .order_by(Appointment.start)
    )
    if not show_cancelled:
        query = query.where(Status.kind.not_in(booking.FREEING_KINDS))
    rows = db.session.scalars(query).all()
    cells = {(d, r.id): [] for d in days for r in resources}
    for a in rows:
        cells.setdefault((a.start.astimezone(tz).date(), a.resource_id), []).append(a)
    q = request.args.get("q", "").strip()[:100]
    closed = (
        closures.for_branch(db.session, branch, days[0], days[-1], str(get_locale()))
        if branch
        else {}
    )
    return {
        "practice": p,
        "branches": p.branches,
        "branch": branch,
        "day": day,
        "days": days,
        "view": view,
        "resources": resources,
        "cells": cells,
        "closed": closed,
        "planner": _planner(p, day, resources, rows, closed) if view == "day" else [],
        "now": utcnow(),  # slots already begun are no longer offered
        "show_cancelled": show_cancelled,
        "q": q,
        "customers": customer_search.find(db.session, p.id, q, country=p.country, limit=20),
        "prefill": _prefill(resources),
        "types": p.appointment_types,
        "declined_count": coordination.declined_counts(db.session, p.id).get(branch.id, 0)
        if branch
        else 0,
        "error": None,
        "prev": days[0] - timedelta(days=7 if view == "week" else 1),
        "next": days[0] + timedelta(days=7 if view == "week" else 1),
    }


def _planner(p: Practice, day, resources: list[Resource], rows, closed) -> list[planner.Row]:
    """The day's grid: a column per resource, a row per slot (at least 15 minutes); a
    closed day offers no free slot."""
    hours = {
        r.id: [
            (wh.start, wh.end)
            for wh in r.working_hours
            if wh.weekday == day.weekday() and day not in closed
        ]
        for r in resources
    }
    step = timedelta(minutes=min(max(p.slot_minutes, 15), 60))
    return planner.day_rows(day, ZoneInfo(p.timezone), hours, list(rows), step)


def _prefill(resources: list[Resource]) -> dict:
    """What a click on a free slot (or a customer search) carries into the booking form."""
    at = request.args.get("time", "")
    resource_id = id_value(request.args, "resource")
    return {
        "time": at if re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at) else "",
        "resource": resource_id if resource_id in {r.id for r in resources} else None,
        "customer": id_value(request.args, "customer"),
        "type": id_value(request.args, "type"),
    }


@bp.get("/calendar")
def calendar():
    return render("console/calendar.html", "calendar", **calendar_context())


@bp.get("/calendar/customers")
def customer_picker():
    """The booking form's customer choice for what was typed (htmx asks for the block; the
    form's Search button and any other request get the whole calendar)."""
    return render("console/calendar.html", "picker", **calendar_context())


@bp.post("/calendar/appointments")
def create_appointment():
    p = practice()
    form = request.form
    try:
        customer = get(Customer, id_value(form, "customer") or 0)
        kind = get(AppointmentType, id_value(form, "type") or 0)
        resource = get(Resource, id_value(form, "resource") or 0)
        start = _local_start(p, form.get("date", ""), form.get("time", ""))
        scheduling.create_for_customer(
            db.session,
            p,
            customer,
            kind,
            resource,
            start,
            **_as_staff(),
        )
    except _REFUSED as error:
        db.session.rollback()
        invalid = _("Please choose a customer, a type, a resource and a valid time.")
        return _calendar_error(_refusal_message(error, invalid))
    return redirect(
        url_for(
            "console.calendar",
            branch=resource.branch_id,
            date=start.astimezone(ZoneInfo(p.timezone)).date().isoformat(),
        ),
        code=303,
    )


@bp.post("/appointments/<int:appointment_id>/move")
def move_appointment(appointment_id: int):
    a = get(Appointment, appointment_id)
    try:
        resource = get(Resource, id_value(request.form, "resource") or a.resource_id)
        start = _local_start(practice(), request.form.get("date", ""), request.form.get("time", ""))
        scheduling.move(
            db.session,
            a,
            resource,
            start,
            **_as_staff(),
        )
    except _REFUSED as error:
        db.session.rollback()
        return detail_error(
            a, _refusal_message(error, _("Please choose a resource and a valid time."))
        )
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


def _refusal_message(error: Exception, invalid: str) -> str:
    """The message for one of _REFUSED; `invalid` names what the form must hold."""
    if isinstance(error, booking.SlotTaken):
        return overlap_message()
    if isinstance(error, scheduling.BranchClosed):
        return closed_message(error)
    return invalid


def closed_message(closed: scheduling.BranchClosed) -> str:
    return _(
        "The branch is closed on %(day)s (%(name)s). Open the day under Settings first, "
        "or choose another day.",
        day=closed.day.strftime("%d.%m.%Y"),
        name=closed.name,
    )


def _as_staff() -> dict:
    """Who acts, when, and the language a BranchClosed is named in: the same for every
    scheduling use case the calendar calls."""
    return {"user_id": current_user.user.id, "now": utcnow(), "language": str(get_locale())}


def _local_start(p: Practice, day: str, at: str) -> datetime:
    tz = ZoneInfo(p.timezone)
    instant = local_instant(
        url_dates.parse_day(day, utcnow().astimezone(tz).date()), time.fromisoformat(at[:5]), tz
    )
    if instant is None:
        raise ValueError("no such local time")
    return instant


def _calendar_error(message: str):
    context = calendar_context()
    context["error"] = message
    return render("console/calendar.html", status=422, **context)
