"""Messages staff send by hand from an appointment ("Kunde über einen Termin benachrichtigen"):
by email or SMS, with a purpose (core.purposes) and a text of their own.

They go through the outbox like every other message: the use case records the event (whose
reaction in core.effects writes the outbox row) and a history note, and commits once. The
preview writes the same rows and rolls them back, so preview and send share one validation.
A one-time key from the form makes a double click write a single message.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import effects, events, gsm7, workflow
from core.models import Appointment, Channel, NoteKind, Notification
from core.outbox import Kind, customer_email
from core.purposes import Purpose, refusal
from core.reminders import sms_capable

MAX_NOTE = 2000
_KEY = re.compile(r"[0-9a-f]{32}")


class Refused(Exception):
    """The message cannot be sent as asked: `field` is the form field to fix, `message` an
    English msgid (with `params`) the console translates."""

    def __init__(self, field: str, message: str, **params):
        super().__init__(message % params if params else message)
        self.field, self.message, self.params = field, message, params


def channels(appointment: Appointment) -> list[Channel]:
    """The ways the linked customer can be reached: email with an address, SMS with a number
    an SMS reaches (the reminders' rule)."""
    if appointment.customer is None:
        return []
    found = [Channel.EMAIL] if customer_email(appointment) else []
    if sms_capable(appointment.customer.phone):
        found.append(Channel.SMS)
    return found


def new_key() -> str:
    return secrets.token_hex(16)


def write(
    session: Session,
    appointment: Appointment,
    *,
    channel: str,
    purpose: str,
    note: str,
    sms_text: str,
    key: str,
    user_id: int | None,
    now: datetime,
) -> Notification:
    """Check the message and write its outbox row and history note, without committing.

    `sms_text` is the SMS as it will read (worded in the customer's language by the caller);
    it must go out as one message. A key already used returns its message unchanged."""
    chosen = _purpose(purpose)
    reason = refusal(appointment, chosen, now)
    if reason is not None:
        raise Refused("purpose", reason)
    way = _channel(appointment, channel)
    note = note.strip()
    _check_text(chosen, way, note, sms_text)
    key = key if _KEY.fullmatch(key or "") else new_key()
    written = _row(session, appointment, key)
    if written is not None:
        return written
    event = events.MessageRequested(appointment.id, way, chosen, note, sms_text, key)
    effects.record(session, [event], now)
    workflow.add_note(
        appointment, NoteKind.MESSAGE, {"purpose": chosen, "channel": way}, now=now, user_id=user_id
    )
    session.flush()
    return _row(session, appointment, key)


def send(session: Session, appointment: Appointment, **fields) -> Notification:
    """Write the message (see `write`) and commit it; the after-commit hook queues it."""
    row = write(session, appointment, **fields)
    session.commit()
    return row


def _purpose(value: str) -> Purpose:
    try:
        return Purpose(value)
    except ValueError:
        raise Refused("purpose", "Please choose what the message is about.") from None


def _channel(appointment: Appointment, value: str) -> Channel:
    usable = channels(appointment)
    if value not in usable:
        if not usable:
            raise Refused(
                "channel", "The customer has neither an email address nor a mobile number."
            )
        raise Refused("channel", "The customer cannot be reached this way.")
    return Channel(value)


def _check_text(purpose: Purpose, channel: Channel, note: str, sms_text: str) -> None:
    if purpose is Purpose.FREE_TEXT and not note:
        raise Refused("note", "Please write the text of the message.")
    if len(note) > MAX_NOTE:
        raise Refused("note", "The text may have at most %(max)d characters.", max=MAX_NOTE)
    if channel is not Channel.SMS:
        return
    length = gsm7.gsm7_length(sms_text)
    if length is None:
        raise Refused("note", "An SMS cannot carry some of these characters (emoji, for example).")
    if length > gsm7.SMS_LIMIT:
        raise Refused(
            "note",
            "The SMS would have %(length)d of %(limit)d characters; please shorten the text.",
            length=length,
            limit=gsm7.SMS_LIMIT,
        )


def _row(session: Session, appointment: Appointment, key: str) -> Notification | None:
    return session.scalar(
        select(Notification).where(
            Notification.idempotency_key == f"{Kind.MANUAL}:{appointment.id}:{key}"
        )
    )
