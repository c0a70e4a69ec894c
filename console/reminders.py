"""Console pages for automatic reminders: the admin's settings (with a test SMS) and the
reminder log every staff member may read. Rules live in core.reminder_settings."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clock import utcnow
from console.blueprint import bp
from console.common import admin_only, practice
from console.message_text import reason
from console.render import render
from core import outbox, reminder_settings
from core.models import NotificationState
from extensions import db
from notifications import sms, transport

log = logging.getLogger("termine.console")

FIELDS = ("reminder_lead_days", "quiet_hours_start", "quiet_hours_end", "reminder_branch_codes")
FLAGS = (
    "reminders_enabled",
    "reminder_sms_enabled",
    "reminder_email_enabled",
    "reminder_any_active_status",
)


def _saved_values(p) -> dict:
    """The form's values as stored, in the strings the inputs show."""
    values = {flag: "yes" if getattr(p, flag) else "" for flag in FLAGS}
    values.update(
        reminder_lead_days=str(p.reminder_lead_days),
        quiet_hours_start=f"{p.quiet_hours_start:%H:%M}",
        quiet_hours_end=f"{p.quiet_hours_end:%H:%M}",
        reminder_branch_codes=p.reminder_branch_codes or "",
        sms_template=p.sms_template or "",
    )
    return values


def _provider() -> dict:
    """Which SMS provider the operator configured, without the API key."""
    config = current_app.config
    url = urlsplit(config["SMS_URL"] or "")
    return {
        "name": config["SMS_PROVIDER"],
        "host": url.hostname or "",
        "sender": config["SMS_SENDER"],
        "country_code": config["SMS_COUNTRY_CODE"],
    }


def settings_context(errors: dict | None = None, values: dict | None = None, **extra) -> dict:
    p = practice()
    return {
        "practice": p,
        "values": values or _saved_values(p),
        "errors": {field: _(msg, **params) for field, (msg, params) in (errors or {}).items()},
        "preview": sms.preview(p, p.sms_template),
        "default_template": sms.default_template(p.language),
        "placeholders": reminder_settings.PLACEHOLDERS,
        "branch_codes": [b for b in p.branches if b.code],
        "provider": _provider(),
        "limit": sms.SMS_LIMIT,
        "test": {},
        **extra,
    }


@bp.route("/settings/reminders", methods=["GET", "POST"])
@admin_only
def reminder_settings_page():
    if request.method == "GET":
        return render("console/reminder_settings.html", **settings_context())
    try:
        reminder_settings.save(db.session, practice(), request.form)
    except reminder_settings.Invalid as invalid:
        db.session.rollback()
        values = {name: request.form.get(name, "") for name in (*FIELDS, *FLAGS, "sms_template")}
        context = settings_context(invalid.errors, values)
        return render("console/reminder_settings.html", status=422, **context)
    return redirect(url_for("console.reminder_settings_page"), code=303)


@bp.post("/settings/reminders/test-sms")
@admin_only
def send_test_sms():
    """Send one SMS now, through the configured provider, and say how it went."""
    p = practice()
    raw = request.form.get("number", "")[:40]
    try:
        number = reminder_settings.mobile_number(raw, p.country)
    except reminder_settings.NotMobile as problem:
        test = {"number": raw, "error": _(str(problem))}
        return render("console/reminder_settings.html", status=422, **settings_context(test=test))
    text = _("Test message from %(practice)s: SMS reminders work.", practice=p.name)
    try:
        transport.send_sms(number, text, name=f"test-{utcnow():%Y%m%dT%H%M%S%f}")
    except (OSError, ValueError) as error:  # the gateway refused, or is down or misconfigured
        log.warning("test sms failed", extra={"fields": {"practice": p.id}})
        test = {
            "number": raw,
            "error": _("The gateway answered: %(error)s", error=transport.sms_error(error)),
        }
        return render("console/reminder_settings.html", status=502, **settings_context(test=test))
    test = {"number": raw, "sent": _("The test SMS to %(number)s was sent.", number=number)}
    return render("console/reminder_settings.html", **settings_context(test=test))


@bp.get("/reminders")
def reminder_log():
    """Every reminder of the practice, so staff can see who got one and why not."""
    state = request.args.get("state", "")
    rows = outbox.listing(
        db.session, current_user.practice_id, state=state, kind=outbox.Kind.REMINDER
    )
    return render(
        "console/reminders.html",
        practice=practice(),
        rows=rows,
        state=state,
        states=list(NotificationState),
        reason=reason,
        limit=outbox.LIST_LIMIT,
    )
