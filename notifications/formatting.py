"""Appointment times as people read them: the branch's local wall-clock time, never UTC, in
one style for emails and widget pages alike. German as Germans write dates; English in
British order ("Tuesday 24 November 2026", "Mon 7 Dec") with a 24-hour clock ("14:00"), so
that a mail never says "November 24, 2026, 2:00 PM" about a time the page showed as
"Tuesday 24 November, 14:00"."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from babel import dates as babel_dates

from core.models import Appointment

PATTERNS = {
    "de": {
        "full": "EEEE, d. MMMM y",
        "day": "EEEE, d. MMMM",
        "long": "d. MMMM y",
        "head": "dd.MM.",
    },
    "en": {"full": "EEEE d MMMM y", "day": "EEEE d MMMM", "long": "d MMMM y", "head": "d MMM"},
}


def day_format(day: date, kind: str, language: str) -> str:
    """`day` in `language`: kind is "full", "day", "long" or "head" (German for others)."""
    pattern = PATTERNS.get(language, PATTERNS["de"])[kind]
    return babel_dates.format_date(day, pattern, locale=language)


def clock(instant: datetime | time) -> str:
    """The time of day, "14:00" in every language (never "14:00 Uhr" or "2:00 PM")."""
    return instant.strftime("%H:%M")


def local(appointment: Appointment, instant: datetime) -> datetime:
    return instant.astimezone(ZoneInfo(appointment.practice.timezone))


def when(appointment: Appointment, language: str) -> str:
    """ "Dienstag, 24. November 2026, 10:00–10:30" or "Tuesday 24 November 2026, 10:00–10:30"."""
    start, end = local(appointment, appointment.start), local(appointment, appointment.end)
    return f"{day_format(start.date(), 'full', language)}, {clock(start)}–{clock(end)}"


def at(appointment: Appointment, instant: datetime, language: str) -> str:
    """ "Dienstag, 24. November 2026, 10:00": one instant (a time an appointment left)."""
    moment = local(appointment, instant)
    return f"{day_format(moment.date(), 'full', language)}, {clock(moment)}"
