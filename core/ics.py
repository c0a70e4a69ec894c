"""The appointment as an iCalendar file (`Termin.ics`), RFC 5545, built with icalendar.

One UID for the appointment's whole life and a SEQUENCE raised on every change let calendar
programs update (or, with METHOD:CANCEL, remove) the event they imported earlier. Times carry
the practice's TZID with a matching VTIMEZONE, so the event shows at the local wall-clock time
whatever the reader's zone.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from core.models import Appointment, StatusKind

PRODID = "-//Termine//Online-Terminbuchung//DE"


class Method:
    """iTIP methods: PUBLISH/REQUEST add or update the event, CANCEL removes it."""

    PUBLISH = "PUBLISH"
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


# The summary of an appointment not yet confirmed says so, in the customer's language.
REQUESTED = {"de": "angefragt", "en": "requested"}


def build(
    appointment: Appointment,
    *,
    now: datetime,
    organizer_email: str = "",
    attendee_email: str = "",
    method: str | None = None,
) -> bytes:
    """The one calendar file of the appointment's current state, wherever it is fetched.

    A confirmed appointment is CONFIRMED, one still waiting for the practice TENTATIVE (its
    summary says "angefragt"/"requested"), a cancelled or declined one CANCELLED under
    METHOD:CANCEL. Otherwise the summary holds only the practice's own names.

    iTIP wants an ORGANIZER (and for CANCEL the ATTENDEE it is addressed to) before Outlook
    and Google act on a cancellation, so both are added when known. `method` REQUEST marks
    the update a customer's own move sends (same UID, higher SEQUENCE).
    """
    zone = ZoneInfo(appointment.practice.timezone)
    method = method or method_for(appointment)
    status = _status(appointment)
    branch = appointment.branch
    contact = " · ".join(p for p in (branch.name, branch.phone, branch.email) if p)
    summary = f"{appointment.type.name} – {appointment.practice.name}"
    if status == "TENTATIVE":
        summary += f" ({REQUESTED.get(appointment.language, REQUESTED['de'])})"
    event = Event.new(
        uid=appointment.ics_uid,
        sequence=appointment.ics_sequence,
        stamp=now,
        start=appointment.start.astimezone(zone),
        end=appointment.end.astimezone(zone),
        summary=summary,
        description=contact or None,
        location=branch.address or branch.name,
        status=status,
    )
    if organizer_email:
        event.add(
            "organizer", f"mailto:{organizer_email}", parameters={"CN": appointment.practice.name}
        )
    if attendee_email:
        event.add("attendee", f"mailto:{attendee_email}", parameters={"ROLE": "REQ-PARTICIPANT"})
    timezone = _vtimezone(appointment.practice.timezone, appointment.start.year)
    # The calendar's own UID follows the event's, so the file is the same wherever fetched.
    calendar = Calendar.new(
        prodid=PRODID, method=method, uid=appointment.ics_uid, subcomponents=[timezone, event]
    )
    return calendar.to_ical()


def _status(appointment: Appointment) -> str:
    if appointment.status.kind.frees_slot:
        return "CANCELLED"
    return "CONFIRMED" if appointment.status.kind is StatusKind.CONFIRMED else "TENTATIVE"


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, year: int) -> Timezone:
    """The zone's rules around the appointment's year: computing them takes milliseconds and
    the default range (decades) bloats every file, so they are built once per zone and year."""
    return Timezone.from_tzid(
        tzid, first_date=date(year - 1, 1, 1), last_date=date(year + 1, 12, 31)
    )


def method_for(appointment: Appointment) -> str:
    """What the appointment's current state tells a calendar: keep it, or remove it."""
    return Method.CANCEL if appointment.status.kind.frees_slot else Method.PUBLISH
