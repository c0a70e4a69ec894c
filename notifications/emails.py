"""Composing an outbox email: templates/email/<kind>.txt and .html.

Customer emails are written in the language the customer booked in, staff emails in the
practice's. Each kind's .txt template defines a `subject` block. Customer emails carry the
cancel link and greet the customer as they asked ("Guten Tag Frau Kling"); receipts,
confirmations, updates and cancellations carry the appointment as `Termin.ics` in a
`text/calendar; method=…` part, so that Outlook shows it inline: the same file the success
page offers (notifications.calendar).
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import object_session

import links
from core import coordination, ics, purposes
from core.models import Appointment, CoordinationRequest, Notification
from core.outbox import CUSTOMER_KINDS, Kind
from notifications import formatting
from notifications.calendar import calendar_file

# Kinds that offer the cancel link: an appointment the customer still has.
CANCEL_LINK_KINDS = frozenset({Kind.REQUEST_RECEIVED, Kind.CONFIRMATION, Kind.REMINDER})
# Kinds that carry Termin.ics: what the customer's (or the practice's) calendar should hold.
CALENDAR_KINDS = frozenset(
    {
        Kind.REQUEST_RECEIVED,
        Kind.CONFIRMATION,
        Kind.CONFIRMATION_COPY,
        Kind.CANCELLATION,
        Kind.COORDINATION_UPDATE,
    }
)


def compose(row: Notification, *, now) -> EmailMessage:
    """The complete message for one outbox row (multipart text + HTML, maybe Termin.ics)."""
    appointment = row.appointment
    practice = appointment.practice
    subject, text, html = _render(row, _context(row))
    sender = _sender(practice.name)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = row.recipient
    message["Date"] = format_datetime(now)
    if appointment.branch.email:
        message["Reply-To"] = appointment.branch.email
    message["Message-ID"] = message_id(row, sender)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if carries_calendar(row):
        _attach_calendar(message, row, now)
    return message


def carries_calendar(row: Notification) -> bool:
    return row.kind in CALENDAR_KINDS or _manual_purpose(row) in purposes.CALENDAR


def offers_cancel_link(row: Notification) -> bool:
    return row.kind in CANCEL_LINK_KINDS or _manual_purpose(row) in purposes.CANCEL_LINK


def _manual_purpose(row: Notification) -> str | None:
    """What a message staff wrote is about (its Termin.ics and cancel link follow from it)."""
    return (row.payload or {}).get("purpose") if row.kind == Kind.MANUAL else None


def message_id(row: Notification, sender: str) -> str:
    """The same Message-ID for every attempt of one row: should a delivery repeat after a
    lost SMTP answer, mail programs see one message twice and show it once. The creation
    time keeps ids apart across installations and rebuilt databases."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<termine.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{domain}>"


def language(row: Notification) -> str:
    """The customer's own language for their messages, the practice's for the staff's."""
    appointment = row.appointment
    if row.kind in CUSTOMER_KINDS:
        return appointment.language or appointment.practice.language
    return appointment.practice.language


def greeting(appointment: Appointment) -> str:
    """ "Guten Tag Frau Kling," / "Dear Ms Kling," when a salutation was chosen, else the full
    name; the linked customer's record wins over what the request said."""
    person = appointment.customer
    if person is not None:
        salutation, first, last = person.salutation, person.first_name, person.last_name
    else:
        salutation = appointment.req_salutation
        first, last = appointment.req_first_name, appointment.req_last_name
    titles = {"Frau": _("Ms"), "Herr": _("Mr")}
    if salutation in titles and last:
        name = f"{titles[salutation]} {last}"
    else:
        name = f"{first} {last}".strip()
    return _("Dear %(name)s,", name=name) if name else _("Good day,")


def preview(row: Notification) -> tuple[str, str]:
    """Subject and text of the email `row` will send, its answer links masked: staff read the
    final wording before it leaves, and a preview never holds a link that works."""
    subject, text, _html = _render(row, _context(row, masked=True))
    return subject, text


def _render(row: Notification, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of the kind's templates in the reader's language."""
    with force_locale(context["language"]):
        context["greeting"] = greeting(row.appointment)
        subject = _render_block(f"email/{row.kind}.txt", "subject", context)
        text = current_app.jinja_env.get_template(f"email/{row.kind}.txt").render(context)
        html = current_app.jinja_env.get_template(f"email/{row.kind}.html").render(context)
    return " ".join(subject.split()), text, html


def _context(row: Notification, masked: bool = False) -> dict:
    appointment = row.appointment
    customer = offers_cancel_link(row)
    lang = language(row)
    return {
        "row": row,
        "language": lang,
        "payload": row.payload or {},
        "appointment": appointment,
        "practice": appointment.practice,
        "branch": appointment.branch,
        "when": formatting.when(appointment, lang),
        "name": appointment.requester_name
        or (appointment.customer.full_name if appointment.customer else ""),
        "cancel_url": _cancel_url(appointment, masked) if customer else None,
        "console_url": f"{current_app.config['BASE_URL']}/console/",
        **_coordination_context(row, lang, masked),
    }


def _cancel_url(appointment: Appointment, masked: bool) -> str:
    return "<cancel link>" if masked else links.cancel_url(appointment, external=True)


def _coordination_context(row: Notification, language: str, masked: bool) -> dict:
    """A coordination email's appointments still to be confirmed, staff text and answer links
    (`masked`: a placeholder instead of each link)."""
    if row.coordination_request_id is None:
        return {}
    request = object_session(row).get(CoordinationRequest, row.coordination_request_id)
    active = [a for a in request.appointments if not a.status.kind.frees_slot]

    def link(action: coordination.Action) -> str:
        return f"<{action} link>" if masked else links.confirm_url(request, action)

    return {
        "request": request,
        "items": [(a, formatting.when(a, language)) for a in active],
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


def _attach_calendar(message: EmailMessage, row: Notification, now) -> None:
    appointment = row.appointment
    message.add_attachment(
        calendar_file(appointment, now).decode(),
        subtype="calendar",
        filename="Termin.ics",
        params={"method": ics.method_for(appointment)},
    )
