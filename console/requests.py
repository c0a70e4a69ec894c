"""The request (appointment detail) page: link or create the customer, move the status."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clock import utcnow
from console.blueprint import bp
from console.common import get, id_value, practice
from console.render import render
from core import booking, coordination, triage, undo, workflow
from core import inbox as requests_inbox
from core.models import Appointment, Status, StatusKind
from extensions import db


def detail_context(appointment: Appointment, **extra) -> dict:
    p = practice()
    suggestions = sorted(  # an exact match first; linking it still takes a click
        triage.suggestions(db.session, appointment),
        key=lambda c: not requests_inbox.is_exact(appointment, c),
    )
    latest = coordination.latest_for(db.session, appointment)
    return {
        "practice": p,
        "a": appointment,
        "coordination": latest,
        "coordination_state": coordination.explanation(db.session, latest, utcnow())
        if latest
        else None,
        "can_coordinate": coordination.can_start(appointment, utcnow()),
        "statuses": [s for s in p.statuses if not s.archived or s.id == appointment.status_id],
        "suggestions": [(c, triage.differences(appointment, c)) for c in suggestions],
        "field_labels": FIELD_LABELS,
        "undo_change": undo.latest_open(db.session, appointment, utcnow()),
        "undone": request.args.get("undone") == "1",
        "confirm_cancel": None,
        "error": None,
        **extra,
    }


FIELD_LABELS = {
    "salutation": "Salutation",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
}


@bp.get("/appointments/<int:appointment_id>")
def appointment(appointment_id: int):
    return render("console/appointment.html", **detail_context(get(Appointment, appointment_id)))


@bp.post("/appointments/<int:appointment_id>/status")
def change_status(appointment_id: int):
    a = get(Appointment, appointment_id)
    status_id = id_value(request.form, "status") or 0
    reason = request.form.get("reason", "")[:1000]
    if _needs_confirmation(a, status_id, reason):
        return render(
            "console/appointment.html",
            **detail_context(
                a, confirm_cancel={"status": get(Status, status_id), "reason": reason}
            ),
        )
    try:
        triage.set_status(
            db.session,
            a,
            status_id,
            user_id=current_user.user.id,
            now=utcnow(),
            reason=reason,
        )
    except (triage.NotFound, workflow.InvalidTransition):
        db.session.rollback()
        return detail_error(a, _("This status cannot be chosen for this appointment."))
    except workflow.ReasonRequired:
        db.session.rollback()
        return detail_error(a, _("Please give a reason; the customer's email quotes it."))
    except booking.SlotTaken:
        db.session.rollback()
        return detail_error(a, overlap_message())
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


def _needs_confirmation(a: Appointment, status_id: int, reason: str) -> bool:
    """A cancellation asks "really?" first (a page step, no script dialog), once it has
    the reason the customer's email will quote."""
    status = db.session.get(Status, status_id)
    return (
        status is not None
        and status.practice_id == a.practice_id
        and status.kind is StatusKind.CANCELLED
        and status.id != a.status_id
        and bool(reason.strip())
        and request.form.get("confirmed") != "yes"
    )


def detail_error(a: Appointment, message: str):
    db.session.expire_all()
    a = db.session.get(Appointment, a.id)
    return render("console/appointment.html", status=422, **detail_context(a, error=message))


@bp.post("/appointments/<int:appointment_id>/link")
def link_customer(appointment_id: int):
    a = get(Appointment, appointment_id)
    customer_id = id_value(request.form, "customer") or 0
    take = tuple(request.form.getlist("take")) + tuple(
        name for name in ("email", "phone") if request.form.get(f"take_{name}") == "request"
    )
    try:
        triage.link_customer(
            db.session, a, customer_id, user_id=current_user.user.id, now=utcnow(), take=take
        )
    except triage.NotFound:
        db.session.rollback()
        return detail_error(a, _("This customer does not exist."))
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


@bp.post("/appointments/<int:appointment_id>/new-customer")
def create_customer(appointment_id: int):
    a = get(Appointment, appointment_id)
    if a.customer_id is None:
        triage.create_customer_from_request(
            db.session, a, user_id=current_user.user.id, now=utcnow()
        )
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


def overlap_message() -> str:
    """What a refused staff booking, move or confirmation says: the same for all three."""
    return _("The time overlaps another appointment of this resource (buffer times included).")
