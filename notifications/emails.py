"""Composing an outbox email: templates/email/<kind>.txt and .html.

Customer emails are written in the language the customer booked in, staff emails in the
practice's. Each kind's .txt template defines a `subject` block. Customer emails carry the
cancel link and greet the customer as they asked ("Guten Tag Frau Kling"); receipts,
confirmations, updates and cancellations carry the appointment as `Termin.ics` in a
`text/calendar; method=…` part, so that Outlook shows it inline: the same file the success
page offers (notifications.calendar).
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import object_session

import links
from clock import utcnow
from core import coordination, ics, purposes, rescheduling, waitlist
from core.models import Appointment, CoordinationRequest, Notification, WaitlistOffer
from core.outbox import CUSTOMER_KINDS, Kind
from notifications import formatting
from notifications.calendar import calendar_file

# Kinds that offer the cancel link: an appointment the customer still has.
CANCEL_LINK_KINDS = frozenset(
    {Kind.REQUEST_RECEIVED, Kind.CONFIRMATION, Kind.REMINDER, Kind.RESCHEDULED}
)
# Kinds that offer the reschedule link beside it (where the practice and type allow it).
RESCHEDULE_LINK_KINDS = frozenset({Kind.CONFIRMATION, Kind.REMINDER, Kind.RESCHEDULED})
# Kinds that offer to wait for an earlier time (where the practice keeps a waiting list).
WAITLIST_LINK_KINDS = frozenset({Kind.REQUEST_RECEIVED, Kind.CONFIRMATION})
# Kinds about one waitlist offer (payload "offer").
OFFER_KINDS = frozenset({Kind.WAITLIST_OFFER, Kind.WAITLIST_GONE})
# Kinds whose Termin.ics is an update of an event the customer holds (METHOD:REQUEST).
UPDATE_KINDS = frozenset({Kind.RESCHEDULED})
# Kinds that carry Termin.ics: what the customer's (or the practice's) calendar should hold.
CALENDAR_KINDS = frozenset(
    {
        Kind.REQUEST_RECEIVED,
        Kind.CONFIRMATION,
        Kind.CONFIRMATION_COPY,
        Kind.CANCELLATION,
        Kind.COORDINATION_UPDATE,
        Kind.RESCHEDULED,
    }
)


# Headers are not folded: Python's folding leaves a space at the end of a line before an
# encoded word ("2026, " + "=?utf-8?q?11=3A15=E2=80=93…?="), and mail programs then show two
# spaces in the subject. A subject stays far below the 998 characters a line may hold; the
# bodies keep their own line lengths (quoted-printable at 76), set when they were encoded.
UNFOLDED = policy.default.clone(max_line_length=998)


def compose(row: Notification, *, now) -> EmailMessage:
    """The complete message for one outbox row (multipart text + HTML, maybe Termin.ics)."""
    appointment = row.appointment
    practice = appointment.practice
    subject, text, html = _render(row, _context(row, now))
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
    message.policy = UNFOLDED
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
    subject, text, _html = _render(row, _context(row, utcnow(), masked=True))
    return subject, text


def _render(row: Notification, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of the kind's templates in the reader's language."""
    with force_locale(context["language"]):
        context["greeting"] = greeting(row.appointment)
        subject = _render_block(f"email/{row.kind}.txt", "subject", context)
        text = current_app.jinja_env.get_template(f"email/{row.kind}.txt").render(context)
        html = current_app.jinja_env.get_template(f"email/{row.kind}.html").render(context)
    return " ".join(subject.split()), text, html


def _context(row: Notification, now, masked: bool = False) -> dict:
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
        "reschedule_url": _masked(_reschedule_url(row, now), "<reschedule link>", masked),
        "old_when": _old_when(row, lang),
        "console_url": f"{current_app.config['BASE_URL']}/console/",
        **_coordination_context(row, lang, masked),
        **_waitlist_context(row, lang, now),
    }


def _reschedule_url(row: Notification, now) -> str | None:
    appointment = row.appointment
    if row.kind not in RESCHEDULE_LINK_KINDS or rescheduling.refusal(appointment, now):
        return None
    return links.reschedule_url(appointment, external=True)


def _old_when(row: Notification, lang: str) -> str | None:
    """The time a move left, for the messages that name it."""
    old = (row.payload or {}).get("old")
    return formatting.at(row.appointment, datetime.fromisoformat(old), lang) if old else None


def _waitlist_context(row: Notification, lang: str, now) -> dict:
    """The link to join the waiting list, or the offer an offer email speaks of."""
    appointment = row.appointment
    if row.kind in WAITLIST_LINK_KINDS and waitlist.refusal(appointment, now) is None:
        return {"waitlist_url": links.waitlist_url(appointment, external=True)}
    if row.kind not in OFFER_KINDS:
        return {}
    offer = object_session(row).get(WaitlistOffer, row.payload["offer"])
    return {
        "offer_when": formatting.at(appointment, offer.start, lang),
        "offer_expires": formatting.at(appointment, offer.expires_at, lang),
        "offer_url": links.offer_url(offer),
    }


def _masked(url: str | None, placeholder: str, masked: bool) -> str | None:
    return placeholder if masked and url else url


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
    method = ics.Method.REQUEST if row.kind in UPDATE_KINDS else ics.method_for(appointment)
    message.add_attachment(
        calendar_file(appointment, now, method).decode(),
        subtype="calendar",
        filename="Termin.ics",
        params={"method": method},
    )
