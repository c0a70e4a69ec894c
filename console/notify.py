"""Notify the customer about an appointment ("Kunde über einen Termin benachrichtigen"): staff
pick the channel, the purpose and their own text, preview the final message, and send it.

The preview writes the message exactly as sending would and rolls it back (core.manual), so
preview and send share one validation and nothing leaves on a preview.
"""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clock import utcnow
from console.blueprint import bp
from console.common import get, practice
from console.render import render
from core import manual
from core.gsm7 import SMS_LIMIT, gsm7_length
from core.models import Appointment, Channel, Notification, StatusKind
from core.purposes import Purpose, refusal
from extensions import db
from notifications import emails, sms


def suggested_purpose(appointment: Appointment) -> Purpose:
    """What the appointment's state most likely calls for."""
    if appointment.status.kind.frees_slot:
        return Purpose.CANCELLED
    if appointment.status.kind is StatusKind.CONFIRMED:
        return Purpose.CONFIRMATION
    return Purpose.FREE_TEXT


def form_context(appointment: Appointment, form=None) -> dict:
    """The form: the sent values when re-rendered, else the defaults and a fresh key."""
    usable = manual.channels(appointment)
    preferred = appointment.customer.preferred_channel if appointment.customer else None
    if form is None:
        values = {
            "channel": preferred if preferred in usable else (usable[0] if usable else ""),
            "purpose": suggested_purpose(appointment),
            "note": "",
            "key": manual.new_key(),
        }
    else:
        values = {
            "channel": form.get("channel", ""),
            "purpose": form.get("purpose", ""),
            "note": form.get("note", "")[: manual.MAX_NOTE + 100],
            "key": form.get("key", "")[:64],
        }
    now = utcnow()
    return {
        "practice": practice(),
        "a": appointment,
        "channels": usable,
        "purposes": [(p, refusal(appointment, p, now)) for p in Purpose],
        "values": values,
        "error": None,
        "field": None,
        "preview": None,
    }


@bp.get("/appointments/<int:appointment_id>/notify")
def notify_form(appointment_id: int):
    a = get(Appointment, appointment_id)
    return render("console/notify.html", **form_context(a))


@bp.post("/appointments/<int:appointment_id>/notify")
def notify_customer(appointment_id: int):
    """Preview (`action=preview`) or send the message; a refusal re-renders the form."""
    a = get(Appointment, appointment_id)
    context = form_context(a, request.form)
    values = context["values"]
    previewing = request.form.get("action") == "preview"
    write = manual.write if previewing else manual.send
    try:
        row = write(
            db.session,
            a,
            channel=values["channel"],
            purpose=values["purpose"],
            note=values["note"],
            sms_text=sms.manual_text(a, values["purpose"], values["note"]),
            key=values["key"],
            user_id=current_user.user.id,
            now=utcnow(),
        )
    except manual.Refused as error:
        db.session.rollback()
        context.update(error=_(error.message, **error.params), field=error.field)
        return render("console/notify.html", status=422, **context)
    if previewing:  # written only to render the final message, then rolled back
        context["preview"] = _preview(row)
        db.session.rollback()
        return render("console/notify.html", **context)
    return redirect(url_for("console.appointment", appointment_id=a.id), code=303)


def _preview(row: Notification) -> dict:
    """Subject and text of the email, or the SMS with its length."""
    if row.channel == Channel.SMS:
        text = row.payload["text"]
        return {"subject": None, "text": text, "length": gsm7_length(text), "limit": SMS_LIMIT}
    subject, text = emails.preview(row)
    return {"subject": subject, "text": text, "length": None, "limit": None}
