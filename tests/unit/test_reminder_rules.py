"""Reminder eligibility, channel choice and quiet hours: each rule once on and once off.

Built on unsaved model objects: the rules are pure and need no database.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from core import reminders
from core.models import (
    Appointment,
    AppointmentType,
    Branch,
    Channel,
    Customer,
    Practice,
    Source,
    Status,
    StatusKind,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday, 09:00 in Berlin
TOMORROW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday, 10:00 in Berlin
MOBILE, LANDLINE = "+4915112345678", "+49301234567"


def practice(**changes) -> Practice:
    values = dict(
        name="Hörwelt",
        timezone="Europe/Berlin",
        language="de",
        reminders_enabled=True,
        reminder_email_enabled=True,
        reminder_sms_enabled=True,
        reminder_lead_days=1,
        reminder_any_active_status=False,
        reminder_branch_codes="",
        quiet_hours_start=time(20, 0),
        quiet_hours_end=time(8, 0),
    )
    return Practice(**{**values, **changes})


def customer(**changes) -> Customer:
    values = dict(
        first_name="Erika",
        last_name="M",
        email="erika@example.org",
        phone=MOBILE,
        preferred_channel=Channel.SMS,
    )
    return Customer(**{**values, **changes})


def appointment(start=TOMORROW, *, kind=StatusKind.CONFIRMED, code="MI", **changes):
    values = dict(
        practice=practice(**changes.pop("practice", {})),
        branch=Branch(name="Mitte", code=code),
        type=AppointmentType(name="Hörtest", reminders_allowed=True, capacity=1),
        status=Status(name="x", kind=kind),
        customer=customer(),
        start=start,
        blocked=False,
    )
    values.update(changes)
    return Appointment(**values)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: appointment(), True),
        (lambda: appointment(customer=None, source=Source.STAFF), False),
        # An online booking nobody linked yet: reminded at the details it was booked with.
        (lambda: appointment(customer=None, source=Source.ONLINE), True),
        (lambda: appointment(type=AppointmentType(reminders_allowed=False, capacity=1)), False),
        (lambda: appointment(type=AppointmentType(reminders_allowed=True, capacity=6)), False),
        (lambda: appointment(kind=StatusKind.CANCELLED), False),
        (lambda: appointment(kind=StatusKind.DECLINED), False),
        (lambda: appointment(kind=StatusKind.START), False),
        (
            lambda: appointment(
                kind=StatusKind.START, practice={"reminder_any_active_status": True}
            ),
            True,
        ),
        (
            lambda: appointment(
                kind=StatusKind.CANCELLED, practice={"reminder_any_active_status": True}
            ),
            False,
        ),
        (lambda: appointment(practice={"reminders_enabled": False}), False),
        (lambda: appointment(practice={"reminder_branch_codes": "SP"}), False),
        (lambda: appointment(practice={"reminder_branch_codes": " SP, MI"}), True),
        (lambda: appointment(blocked=True), False),
        # Never the same day, even hours ahead; not past.
        (lambda: appointment(datetime(2026, 11, 23, 15, 0, tzinfo=UTC)), False),
        (lambda: appointment(datetime(2026, 11, 22, 9, 0, tzinfo=UTC)), False),
        # The lead window: the day before by default, more when configured.
        (lambda: appointment(datetime(2026, 11, 25, 9, 0, tzinfo=UTC)), False),
        (
            lambda: appointment(
                datetime(2026, 11, 25, 9, 0, tzinfo=UTC), practice={"reminder_lead_days": 2}
            ),
            True,
        ),
    ],
)
def test_eligibility(build, expected):
    assert reminders.eligible(build(), NOW) is expected


def test_the_calendar_day_is_the_practice_local_one():
    # 23:30 UTC on Monday is already Tuesday 00:30 in Berlin: the next day, so due.
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    scan = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # Monday 23:00 Berlin
    assert reminders.eligible(appointment(late), scan)
    # Seen at 23:10 UTC it is Tuesday 00:10 in Berlin already: same day, no reminder.
    assert not reminders.eligible(appointment(late), datetime(2026, 11, 23, 23, 10, tzinfo=UTC))


@pytest.mark.parametrize(
    ("scan", "start", "expected"),
    [
        # Autumn DST change (Sun 25 Oct 2026): a 25-hour day in between still counts as one.
        (
            datetime(2026, 10, 24, 8, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 22, 30, tzinfo=UTC),
            True,
        ),
        (
            datetime(2026, 10, 24, 8, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 23, 30, tzinfo=UTC),
            False,
        ),
        # Spring (Sun 29 Mar 2026): 23:30 local on Sunday is 21:30 UTC.
        (datetime(2026, 3, 28, 8, 0, tzinfo=UTC), datetime(2026, 3, 29, 21, 30, tzinfo=UTC), True),
        (datetime(2026, 3, 28, 8, 0, tzinfo=UTC), datetime(2026, 3, 29, 22, 30, tzinfo=UTC), False),
    ],
)
def test_dst_days(scan, start, expected):
    assert reminders.eligible(appointment(start), scan) is expected


@pytest.mark.parametrize(
    ("prefs", "practice_changes", "expected"),
    [
        ({}, {}, (Channel.SMS, MOBILE)),
        ({"phone": LANDLINE}, {}, (Channel.EMAIL, "erika@example.org")),
        ({"phone": "not a number"}, {}, (Channel.EMAIL, "erika@example.org")),
        ({"phone": LANDLINE, "email": None}, {}, (Channel.NONE, "")),
        ({"preferred_channel": Channel.EMAIL}, {}, (Channel.EMAIL, "erika@example.org")),
        ({"preferred_channel": Channel.EMAIL, "email": ""}, {}, (Channel.SMS, MOBILE)),
        ({"preferred_channel": Channel.NONE}, {}, (Channel.NONE, "")),
        ({}, {"reminder_sms_enabled": False}, (Channel.EMAIL, "erika@example.org")),
        (
            {"preferred_channel": Channel.EMAIL},
            {"reminder_email_enabled": False},
            (Channel.SMS, MOBILE),
        ),
    ],
)
def test_channel(prefs, practice_changes, expected):
    chosen = reminders.route(practice(**practice_changes), customer(**prefs))
    assert (chosen.channel, chosen.recipient) == expected
    assert bool(chosen.reason) is (expected[0] == Channel.NONE)


def test_an_unlinked_online_booking_is_reminded_by_email_at_the_address_it_was_booked_with():
    booked = appointment(
        customer=None, source=Source.ONLINE, req_email="kurt@example.org", req_phone=MOBILE
    )
    chosen = reminders.route(booked.practice, reminders.contact(booked))
    assert (chosen.channel, chosen.recipient) == (Channel.EMAIL, "kurt@example.org")
    no_email = practice(reminder_email_enabled=False)
    assert reminders.route(no_email, reminders.contact(booked)).recipient == MOBILE
    linked = appointment(source=Source.ONLINE, req_email="kurt@example.org")
    assert reminders.route(linked.practice, reminders.contact(linked)).recipient == MOBILE


@pytest.mark.parametrize(
    ("scan", "expected"),
    [
        # Berlin is UTC+1 in November.
        (datetime(2026, 11, 23, 18, 59, tzinfo=UTC), datetime(2026, 11, 23, 18, 59, tzinfo=UTC)),
        (datetime(2026, 11, 23, 19, 0, tzinfo=UTC), datetime(2026, 11, 24, 7, 0, tzinfo=UTC)),
        (datetime(2026, 11, 24, 6, 59, tzinfo=UTC), datetime(2026, 11, 24, 7, 0, tzinfo=UTC)),
        (datetime(2026, 11, 24, 7, 0, tzinfo=UTC), datetime(2026, 11, 24, 7, 0, tzinfo=UTC)),
        # Over the DST changes, 08:00 local is a different UTC hour than the evening before.
        (datetime(2026, 10, 24, 19, 0, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
        (datetime(2026, 3, 28, 20, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_move_sending_to_their_end(scan, expected):
    assert reminders.not_before(practice(), scan) == expected


def test_quiet_hours_within_a_day_and_none():
    midday = practice(quiet_hours_start=time(12, 0), quiet_hours_end=time(14, 0))
    assert reminders.not_before(midday, datetime(2026, 11, 23, 11, 30, tzinfo=UTC)) == datetime(
        2026, 11, 23, 13, 0, tzinfo=UTC
    )
    assert reminders.not_before(midday, NOW) == NOW
    never = practice(quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0))
    late = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert reminders.not_before(never, late) == late


def test_the_key_binds_appointment_and_start():
    a = appointment()
    a.id = 7
    moved = appointment(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    moved.id = 7
    assert reminders.key(a) != reminders.key(moved)
