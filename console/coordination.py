"""Coordination requests in the console: ask a customer by email to confirm appointments
agreed by phone, take a request back within its grace period, and the per-branch tray of
appointments the customer declined ("Abgelehnte Termine").

The form previews the final email by writing the request exactly as sending would and
rolling it back: preview and send share one validation, and nothing leaves on a preview.
"""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from clock import utcnow
from console.blueprint import bp
from console.common import get, id_value, practice
from console.render import render
from core import coordination, numbers
from core.models import Appointment, Branch, CoordinationRequest, Notification
from extensions import db
from notifications import emails

ERRORS = {
    "appointments": lambda: _("Only future appointments that are not cancelled can be confirmed."),
    "customer": lambda: _("Link a customer to the appointment first."),
    "recipients": lambda: _("Please enter up to five valid email addresses."),
    "message": lambda: _("The text may have at most 2000 characters."),
}


def default_message(appointment: Appointment) -> str:
    """The text staff start from, in the language the customer's email will be in."""
    with force_locale(appointment.language or appointment.practice.language):
        return _("As agreed on the phone, please confirm your appointment.")


def form_context(appointment: Appointment, form=None) -> dict:
    """The request form: sent values when re-rendered, else the defaults."""
    proposals = coordination.proposals(db.session, appointment)
    if form is None:
        chosen = {a.id for a in proposals}
        values = {
            "recipients": coordination.default_recipients(appointment),
            "allow_decline": True,
            "message": default_message(appointment),
        }
    else:
        chosen = {i for i in map(numbers.parse_id, form.getlist("bundle")) if i}
        values = {
            "recipients": form.get("recipients", "")[:1000],
            "allow_decline": form.get("allow_decline") == "yes",
            "message": form.get("message", "")[:5000],
        }
    return {
        "practice": practice(),
        "a": appointment,
        "proposals": proposals,
        "chosen": chosen,
        "values": values,
        "error": None,
        "field": None,
        "preview": None,
    }


@bp.get("/appointments/<int:appointment_id>/coordination")
def coordination_form(appointment_id: int):
    a = get(Appointment, appointment_id)
    return render("console/coordination.html", **form_context(a))


@bp.post("/appointments/<int:appointment_id>/coordination")
def send_coordination(appointment_id: int):
    """Preview (`action=preview`) or schedule the request; errors re-render the form."""
    a = get(Appointment, appointment_id)
    context = form_context(a, request.form)
    bundle = [p for p in context["proposals"] if p.id in context["chosen"]]
    values = context["values"]
    previewing = request.form.get("action") == "preview"
    write = coordination.create if previewing else coordination.schedule
    try:
        created = write(
            db.session,
            [a, *bundle],
            recipients=values["recipients"],
            allow_decline=values["allow_decline"],
            message=values["message"],
            now=utcnow(),
            user_id=current_user.user.id,
        )
    except coordination.InvalidRequest as error:
        db.session.rollback()
        field = str(error)
        message = ERRORS[field]()
        context.update(error=message, field=field)
        return render("console/coordination.html", status=422, **context)
    if previewing:  # written only to render the final email, then rolled back
        context["preview"] = emails.preview(_first_row(created))
        db.session.rollback()
        return render("console/coordination.html", **context)
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


def _first_row(created: CoordinationRequest) -> Notification:
    return db.session.scalars(
        select(Notification)
        .where(Notification.coordination_request_id == created.id)
        .order_by(Notification.id)
    ).first()


@bp.post("/coordination/<int:request_id>/withdraw")
def withdraw_coordination(request_id: int):
    """Take a scheduled request back; once it is sent, withdrawing changes nothing."""
    found = get(CoordinationRequest, request_id)
    back = id_value(request.form, "appointment") or found.appointments[0].id
    coordination.take_back(db.session, found, utcnow())
    return redirect(url_for("console.appointment", appointment_id=back), code=303)


@bp.get("/declined")
def declined():
    """ "Abgelehnte Termine": what customers declined, per branch, to reschedule or close."""
    p = practice()
    counts = coordination.declined_counts(db.session, p.id)
    branches = [b for b in p.branches if b.id in counts]
    branch_id = id_value(request.args, "branch")
    branch = next((b for b in branches if b.id == branch_id), branches[0] if branches else None)
    if branch_id and branch is None:
        get(Branch, branch_id)  # another practice's branch: 404, like every console id
    items = coordination.declined_tray(db.session, p.id, branch.id) if branch else []
    return render(
        "console/declined.html",
        practice=p,
        branches=branches,
        branch=branch,
        counts=counts,
        items=items,
    )
