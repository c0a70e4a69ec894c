"""Undo a staff change to an appointment inside the practice's undo window (core.undo)."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clock import utcnow
from console.blueprint import bp
from console.common import get, id_value
from console.requests import detail_error
from core import undo
from core.models import Appointment, UndoableChange
from extensions import db


@bp.post("/appointments/<int:appointment_id>/undo")
def undo_change(appointment_id: int):
    a = get(Appointment, appointment_id)
    change = get(UndoableChange, id_value(request.form, "change") or 0)
    if change.appointment_id != a.id:
        return detail_error(a, _("This change does not belong to this appointment."))
    try:
        undo.undo(db.session, change, user_id=current_user.user.id, now=utcnow())
    except undo.Refused as refused:
        return detail_error(a, _(refused.message))
    return redirect(url_for("console.appointment", appointment_id=a.id, undone=1), code=303)
