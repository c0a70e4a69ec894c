"""SMS texts: the reminder in the practice's language, checked to fit one GSM-7 message."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from core.models import Appointment
from notifications import formatting

# The GSM 03.38 basic alphabet; the extension characters count twice.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
SMS_LIMIT = 160


def gsm7_length(text: str) -> int | None:
    """Septets the text needs, or None when a character is not in GSM-7 (UCS-2 would be used)."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def fits(text: str, limit: int = SMS_LIMIT) -> bool:
    """Does the text go out as one GSM-7 SMS?"""
    length = gsm7_length(text)
    return length is not None and length <= limit


def reminder_text(appointment: Appointment) -> str:
    """ "Erinnerung: Ihr Termin bei X am Di. 24.11. um 10:00, Filiale. Absage: 0301234" """
    practice, branch = appointment.practice, appointment.branch
    start = formatting.local(appointment, appointment.start)
    with force_locale(practice.language):
        text = gettext(
            "Reminder: your appointment at %(practice)s on %(day)s at %(time)s, %(branch)s.",
            practice=practice.name,
            day=start.strftime("%d.%m."),
            time=start.strftime("%H:%M"),
            branch=branch.name,
        )
        if branch.phone:
            text += " " + gettext("Questions: %(phone)s", phone=branch.phone)
    return _shorten(text)


def _shorten(text: str) -> str:
    """One message, always: characters outside GSM-7 (which would switch the whole SMS to
    UCS-2 and 70 characters) become "?", and an overlong text (long names) is cut."""
    text = "".join(c if gsm7_length(c) is not None else "?" for c in text)
    while gsm7_length(text) > SMS_LIMIT:
        text = text[:-1]
    return text
