"""The appointment as an iCalendar file (`Termin.ics`), RFC 5545, built with icalendar.

One UID for the appointment's whole life and a SEQUENCE raised on every change let calendar
programs update (or, with METHOD:CANCEL, remove) the event they imported earlier. Times carry
the practice's TZID with a matching VTIMEZONE, so the event shows at the local wall-clock time
whatever the reader's zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from core.models import Appointment, Practice, StatusKind

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


# How often subscribed calendars should fetch the staff feed again (Outlook and Apple read it;
# Google refreshes on its own schedule).
FEED_REFRESH = timedelta(minutes=15)


def feed(
    practice: Practice,
    appointments: list[Appointment],
    *,
    uid: str,
    name: str,
    details: bool,
    link: Callable[[Appointment], str],
) -> bytes:
    """The staff calendar feed: the practice's appointments as one calendar to subscribe to.

    Each event names the type and the customer; contact details and the customer's message
    only when the practice allows it (`details`). The file depends on nothing but the rows
    (DTSTAMP is the appointment's last change), so the same data gives the same bytes and a
    conditional GET can answer 304. Its UIDs differ from the customer's `Termin.ics`, so a
    calendar holding both keeps them apart."""
    events = [_feed_event(a, details, link(a)) for a in appointments]
    calendar = Calendar.new(
        prodid=PRODID,
        uid=uid,
        name=name,
        refresh_interval=FEED_REFRESH,
        subcomponents=[*_zones(practice.timezone, appointments), *events],
    )
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    calendar.add("X-PUBLISHED-TTL", FEED_REFRESH)
    calendar.add("X-WR-TIMEZONE", practice.timezone)
    return calendar.to_ical()


def _zones(tzid: str, appointments: list[Appointment]) -> list[Timezone]:
    """One VTIMEZONE covering every event's year (none for an empty feed)."""
    years = [a.start.year for a in appointments]
    return [_zone_span(tzid, min(years) - 1, max(years) + 1)] if years else []


def _feed_event(appointment: Appointment, details: bool, url: str) -> Event:
    zone = ZoneInfo(appointment.practice.timezone)
    person = appointment.customer
    name = person.full_name if person is not None else appointment.requester_name
    lines = [appointment.status.name]
    if details:
        phone = (person.phone if person else None) or appointment.req_phone
        email = (person.email if person else None) or appointment.req_email
        lines += [v for v in (phone, email, appointment.req_message) if v]
    return Event.new(
        uid=f"staff-{appointment.ics_uid}",
        sequence=appointment.ics_sequence,
        stamp=appointment.updated_at,
        last_modified=appointment.updated_at,
        start=appointment.start.astimezone(zone),
        end=appointment.end.astimezone(zone),
        summary=" – ".join(p for p in (appointment.type.name, name) if p),
        description="\n".join(lines),
        location=f"{appointment.branch.name} · {appointment.resource.name}",
        status=_status(appointment),
        url=url,
    )


def _status(appointment: Appointment) -> str:
    if appointment.status.kind.frees_slot:
        return "CANCELLED"
    return "CONFIRMED" if appointment.status.kind is StatusKind.CONFIRMED else "TENTATIVE"


def _vtimezone(tzid: str, year: int) -> Timezone:
    """The zone's rules around the appointment's year."""
    return _zone_span(tzid, year - 1, year + 1)


@lru_cache(maxsize=32)
def _zone_span(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The zone's rules for whole years: computing them takes milliseconds and the default
    range (decades) bloats every file, so they are built once per zone and span."""
    return Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year, 12, 31)
    )


def method_for(appointment: Appointment) -> str:
    """What the appointment's current state tells a calendar: keep it, or remove it."""
    return Method.CANCEL if appointment.status.kind.frees_slot else Method.PUBLISH
