"""Composing an outbox email: templates/email/<kind>.txt and .html, in the practice's language.

Each kind's .txt template defines a `subject` block. Customer emails carry the cancel link;
confirmations and cancellations carry the appointment as `Termin.ics` in a
`text/calendar; method=…` part, so that Outlook shows it inline.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import object_session

import links
from core import coordination, ics
from core.models import CoordinationRequest, Notification
from core.outbox import Kind
from notifications import formatting

CUSTOMER_KINDS = {Kind.REQUEST_RECEIVED, Kind.CONFIRMATION, Kind.CANCELLATION, Kind.REMINDER}
CALENDAR_METHODS = {
    Kind.CONFIRMATION: ics.Method.PUBLISH,
    Kind.CONFIRMATION_COPY: ics.Method.PUBLISH,
    Kind.CANCELLATION: ics.Method.CANCEL,
    coordination.Kind.UPDATE: ics.Method.PUBLISH,
}


def compose(row: Notification, *, now) -> EmailMessage:
    """The complete message for one outbox row (multipart text + HTML, maybe Termin.ics)."""
    appointment = row.appointment
    practice = appointment.practice
    subject, text, html = _render(row, _context(row))
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = _sender(practice.name)
    message["To"] = row.recipient
    if appointment.branch.email:
        message["Reply-To"] = appointment.branch.email
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain="termine")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    method = CALENDAR_METHODS.get(row.kind)
    if method is not None:
        _attach_calendar(message, row, method, now)
    return message


def preview(row: Notification) -> tuple[str, str]:
    """Subject and text of the email `row` will send, its answer links masked: staff read the
    final wording before it leaves, and a preview never holds a link that works."""
    subject, text, _html = _render(row, _context(row, masked=True))
    return subject, text


def _render(row: Notification, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of the kind's templates in the practice's language."""
    with force_locale(row.appointment.practice.language):
        subject = _render_block(f"email/{row.kind}.txt", "subject", context)
        text = current_app.jinja_env.get_template(f"email/{row.kind}.txt").render(context)
        html = current_app.jinja_env.get_template(f"email/{row.kind}.html").render(context)
    return " ".join(subject.split()), text, html


def _context(row: Notification, masked: bool = False) -> dict:
    appointment = row.appointment
    customer = row.kind in CUSTOMER_KINDS
    return {
        "row": row,
        "payload": row.payload or {},
        "appointment": appointment,
        "practice": appointment.practice,
        "branch": appointment.branch,
        "when": formatting.when(appointment, appointment.practice.language),
        "name": appointment.requester_name
        or (appointment.customer.full_name if appointment.customer else ""),
        "cancel_url": links.cancel_url(appointment, external=True) if customer else None,
        "ics_url": links.ics_url(appointment, external=True) if customer else None,
        "console_url": f"{current_app.config['BASE_URL']}/console/",
        **_coordination_context(row, masked),
    }


def _coordination_context(row: Notification, masked: bool) -> dict:
    """A coordination email's appointments, staff text and answer links (`masked`: a
    placeholder instead of each link)."""
    if row.coordination_request_id is None:
        return {}
    request = object_session(row).get(CoordinationRequest, row.coordination_request_id)
    language = request.appointments[0].practice.language if request.appointments else "de"

    def link(action: coordination.Action) -> str:
        return f"<{action} link>" if masked else links.confirm_url(request, action)

    return {
        "request": request,
        "items": [(a, formatting.when(a, language)) for a in request.appointments],
        "accept_url": link(coordination.Action.ACCEPT),
        "decline_url": link(coordination.Action.DECLINE) if request.allow_decline else None,
    }


def _render_block(name: str, block: str, context: dict) -> str:
    template = current_app.jinja_env.get_template(name)
    return "".join(template.blocks[block](template.new_context(context)))


def _sender(display_name: str) -> str:
    """The practice's name in front of the configured address, unless one is configured."""
    configured = current_app.config["MAIL_DEFAULT_SENDER"]
    if "<" in configured:
        return configured
    return str(Address(display_name=display_name, addr_spec=configured))


def _attach_calendar(message: EmailMessage, row: Notification, method: str, now) -> None:
    appointment = row.appointment
    data = ics.build(
        appointment,
        method=method,
        now=now,
        organizer_email=appointment.branch.email or current_app.config["MAIL_DEFAULT_SENDER"],
        attendee_email=row.recipient if method == ics.Method.CANCEL else "",
    )
    message.add_attachment(
        data.decode(),
        subtype="calendar",
        filename="Termin.ics",
        params={"method": method},
    )
