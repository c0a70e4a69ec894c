"""Appointment times as people read them: the branch's local wall-clock time, never UTC."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from core.models import Appointment


def local(appointment: Appointment, instant: datetime) -> datetime:
    return instant.astimezone(ZoneInfo(appointment.practice.timezone))


def when(appointment: Appointment, language: str) -> str:
    """ "Dienstag, 24. November 2026, 10:00–10:30" in the given language."""
    start, end = local(appointment, appointment.start), local(appointment, appointment.end)
    day = format_date(start.date(), "full", locale=language)
    return f"{day}, {_time(start, language)}–{_time(end, language)}"


def at(appointment: Appointment, instant: datetime, language: str) -> str:
    """ "Dienstag, 24. November 2026, 10:00": one instant (a time an appointment left)."""
    moment = local(appointment, instant)
    return f"{format_date(moment.date(), 'full', locale=language)}, {_time(moment, language)}"


def _time(instant: datetime, language: str) -> str:
    return format_time(instant, "short", locale=language)
