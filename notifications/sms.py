"""SMS texts: the reminder in the customer's language, checked to fit one GSM-7 message."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale, gettext

from core import reminder_settings
from core.gsm7 import SMS_LIMIT, gsm7_length
from core.models import Appointment, Practice
from core.purposes import Purpose
from notifications import formatting


def reminder_text(appointment: Appointment) -> str:
    """ "Erinnerung: Ihr Termin bei X am Di. 24.11. um 10:00, Filiale. Absage: 0301234"

    In the language the customer booked in: the practice's own template when it set one and
    the customer shares the practice's language (the template is written in that), else the
    standard text in the customer's language."""
    practice, branch = appointment.practice, appointment.branch
    language = appointment.language or practice.language
    values = {**_values(appointment, language), "phone": branch.phone or ""}
    own = practice.sms_template if language == practice.language else None
    template = own or default_template(language, bool(branch.phone))
    return _shorten(reminder_settings.fill(template, values))


def _values(appointment: Appointment, language: str) -> dict[str, str]:
    """Practice, short local day and time, branch: what every SMS about an appointment names."""
    start = formatting.local(appointment, appointment.start)
    return {
        "practice": appointment.practice.name,
        "day": formatting.day_format(start.date(), "head", language),
        "time": formatting.clock(start),
        "branch": appointment.branch.name,
    }


def manual_text(appointment: Appointment, purpose: str, note: str) -> str:
    """The SMS staff send from an appointment, in the customer's language: the practice,
    what it is about with the day and time, then the staff's own text (never cut: core
    refuses one that does not fit one SMS)."""
    practice = appointment.practice
    language = appointment.language or practice.language
    values = _values(appointment, language)
    with force_locale(language):
        lead = {
            Purpose.CONFIRMATION: lambda: gettext(
                "%(practice)s: your appointment on %(day)s at %(time)s, %(branch)s, is confirmed.",
                **values,
            ),
            Purpose.MOVED: lambda: gettext(
                "%(practice)s: your appointment has been moved to %(day)s at %(time)s, %(branch)s.",
                **values,
            ),
            Purpose.CANCELLED: lambda: gettext(
                "%(practice)s: your appointment on %(day)s at %(time)s has been cancelled.",
                **values,
            ),
        }.get(purpose, lambda: f"{practice.name}:")()
    return f"{lead} {note.strip()}".strip()


def default_template(language: str, with_phone: bool = True) -> str:
    """The standard reminder text as a template with {placeholders}, in `language`."""
    with force_locale(language):
        text = gettext(
            "Reminder: your appointment at %(practice)s on %(day)s at %(time)s, %(branch)s.",
            practice="{practice}",
            day="{day}",
            time="{time}",
            branch="{branch}",
        )
        if with_phone:
            text += " " + gettext("Questions: %(phone)s", phone="{phone}")
    return text


@dataclass(frozen=True)
class Preview:
    """The practice's reminder as its longest branch would get it, before any cutting."""

    text: str
    length: int | None  # GSM-7 septets; None when a character is not in GSM-7

    @property
    def too_long(self) -> bool:
        return self.length is not None and self.length > SMS_LIMIT


def preview(practice: Practice, template: str | None) -> Preview:
    """Render `template` (None: the standard text) with the practice's real names, the
    longest branch name and phone, and a two-digit day and time, so staff see the worst case."""
    branches = practice.branches
    values = {
        "practice": practice.name,
        "day": "24.12.",
        "time": "10:00",
        "branch": max((b.name for b in branches), key=len, default=""),
        "phone": max((b.phone or "" for b in branches), key=len, default=""),
    }
    text = reminder_settings.fill(
        template or default_template(practice.language, bool(values["phone"])), values
    )
    return Preview(text, gsm7_length(text))


def _shorten(text: str) -> str:
    """One message, always: characters outside GSM-7 (which would switch the whole SMS to
    UCS-2 and 70 characters) become "?", and an overlong text (long names) is cut."""
    text = "".join(c if gsm7_length(c) is not None else "?" for c in text)
    while gsm7_length(text) > SMS_LIMIT:
        text = text[:-1]
    return text
