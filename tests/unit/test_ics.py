"""The .ics file: parsed back with icalendar, as a calendar program would read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from core import ics
from core.models import Appointment, AppointmentType, Branch, Practice, Status, StatusKind


def appointment(kind: StatusKind = StatusKind.CONFIRMED, sequence: int = 0) -> Appointment:
    practice = Practice(slug="p", name="Hörakustik Sonnenschein", timezone="Europe/Berlin")
    branch = Branch(
        practice=practice,
        name="Filiale Mitte",
        street="Hauptstraße 12",
        postcode="10115",
        city="Berlin",
        phone="+49 30 1234567",
    )
    start = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # the day after the spring DST change
    return Appointment(
        practice=practice,
        branch=branch,
        type=AppointmentType(practice=practice, name="Hörtest", duration_minutes=30),
        status=Status(practice=practice, name="x", kind=kind),
        start=start,
        end=start + timedelta(minutes=30),
        ics_uid="1234@termine",
        ics_sequence=sequence,
    )


NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def parse(data: bytes):
    calendar = Calendar.from_ical(data)
    return calendar, calendar.events[0]


def test_confirmation_is_published_at_local_time_with_its_timezone():
    calendar, event = parse(ics.build(appointment(), now=NOW))

    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
    assert event.start == datetime(2026, 3, 30, 10, 0, tzinfo=event.start.tzinfo)
    assert event.start.tzinfo.key == "Europe/Berlin"
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Berlin"]
    assert b"DTSTART;TZID=Europe/Berlin:20260330T100000" in calendar.to_ical()
    assert str(event["UID"]) == "1234@termine" and event["SEQUENCE"] == 0
    assert str(event["LOCATION"]) == "Hauptstraße 12, 10115 Berlin"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Hörtest" in str(event["SUMMARY"]) and "+49 30 1234567" in str(event["DESCRIPTION"])


def test_cancellation_keeps_the_uid_raises_the_sequence_and_cancels():
    cancelled = appointment(StatusKind.CANCELLED, sequence=2)
    data = ics.build(cancelled, now=NOW, organizer_email="praxis@example.org")

    calendar, event = parse(data)
    assert calendar["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "1234@termine" and event["SEQUENCE"] == 2
    assert str(event["ORGANIZER"]) == "mailto:praxis@example.org"


def test_an_active_appointment_is_published_a_freed_one_cancelled():
    assert ics.method_for(appointment(StatusKind.START)) == ics.Method.PUBLISH
    assert ics.method_for(appointment(StatusKind.DECLINED)) == ics.Method.CANCEL


def test_a_request_not_yet_confirmed_is_tentative_and_says_so_in_its_language():
    requested = appointment(StatusKind.START)
    requested.language = "en"
    calendar, event = parse(ics.build(requested, now=NOW))

    assert calendar["METHOD"] == "PUBLISH" and str(event["STATUS"]) == "TENTATIVE"
    assert str(event["SUMMARY"]) == "Hörtest – Hörakustik Sonnenschein (requested)"
    requested.language = "de"
    _, event = parse(ics.build(requested, now=NOW))
    assert str(event["SUMMARY"]) == "Hörtest – Hörakustik Sonnenschein (angefragt)"
