"""The demo practice: what `flask demo` seeds, and what the browser tests book against."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import booking, closures
from core.models import (
    Actor,
    AppointmentType,
    Branch,
    BranchDay,
    Channel,
    Customer,
    Practice,
    Resource,
    Role,
    Source,
    User,
    WaitlistEntry,
    WorkingHours,
)
from core.onboarding import default_statuses

SLUG = "demo"
ADMIN_EMAIL = "admin@demo.example"
OPENING_HOURS = [(time(9, 0), time(12, 30)), (time(13, 30), time(18, 0))]

TYPES = [
    # name, minutes, requires approval, capacity, reminders allowed, buffers before/after
    ("Hörtest", 30, False, 1, True, 0, 0),
    ("Beratung", 60, True, 1, True, 0, 0),
    ("Batteriewechsel", 15, False, 1, False, 0, 0),
    ("Gruppenschulung", 90, False, 6, False, 0, 0),
    # The cabin is prepared before a fitting and aired after it; the customer sees 45 minutes.
    ("Hörgeräte-Anpassung", 45, False, 1, True, 15, 10),
]
# The branches are in Berlin. When no public holiday falls in the next weeks, Filiale Mitte
# gets a closing day of its own two weeks ahead, so the widget shows a closed day anyway.
STATE = "BE"
HOLIDAY_WEEKS = 4
CLOSING_DAY = "Betriebsausflug"


# Staff-linked appointments on the next working day, one per reminder rule:
# first name, last name, email, phone, preferred channel, type, status, resource, local start.
REMINDER_CASES = [
    ("Erika", "Mobil", "erika.mobil@example.org", "+4915112345670", Channel.SMS, 0, 2, 1, "14:00"),
    ("Max", "Brief", "max.brief@example.org", "+4917012345670", Channel.EMAIL, 0, 2, 1, "14:30"),
    ("Helga", "Festnetz", None, "+49301234560", Channel.SMS, 0, 2, 1, "15:00"),
    ("Paul", "Ruhe", "paul.ruhe@example.org", "+4916012345670", Channel.NONE, 0, 2, 1, "15:30"),
    (
        "Greta",
        "Gruppe",
        "greta.gruppe@example.org",
        "+4915212345670",
        Channel.SMS,
        3,
        2,
        2,
        "14:00",
    ),
    ("Ulla", "Offen", "ulla.offen@example.org", "+4915912345670", Channel.SMS, 1, 1, 1, "16:00"),
    ("Bernd", "Batterie", "bernd@example.org", "+4917212345670", Channel.SMS, 2, 2, 1, "17:00"),
]


def seed(
    session: Session,
    *,
    now: datetime,
    admin_password_hash: str,
    with_reminder_cases: bool = False,
) -> tuple[Practice, bool]:
    """Create the demo practice once. Returns it and whether it was created just now.

    `with_reminder_cases` (what `flask demo` asks for) also switches reminders on and books
    customers whose next-day appointments show each reminder rule in the console's log.
    """
    existing = session.scalar(select(Practice).where(Practice.slug == SLUG))
    if existing is not None:
        return existing, False
    practice = Practice(
        slug=SLUG,
        name="Hörakustik Sonnenschein",
        timezone="Europe/Berlin",
        language="de",
        country="DE",
        staff_alert_email="praxis@demo.example",
        privacy_policy_url="https://demo.example/datenschutz",
        embed_origins="",
        created_at=now,
    )
    session.add(practice)
    branches = [
        Branch(
            practice=practice,
            name="Filiale Mitte",
            code="MI",
            street="Hauptstraße 12",
            postcode="10115",
            city="Berlin",
            phone="+49 30 1234567",
            email="mitte@demo.example",
            country="DE",
            subdivision=STATE,
        ),
        Branch(
            practice=practice,
            name="Filiale Spandau",
            code="SP",
            street="Carl-Schurz-Str. 3",
            postcode="13597",
            city="Berlin",
            phone="+49 30 7654321",
            email="spandau@demo.example",
            country="DE",
            subdivision=STATE,
        ),
    ]
    resources = [
        Resource(practice=practice, branch=branches[0], name="Kabine 1"),
        Resource(practice=practice, branch=branches[0], name="Kabine 2"),
        Resource(
            practice=practice,
            branch=branches[1],
            name="Schulungsraum",
            notification_email="schulung@demo.example",
        ),
    ]
    for resource in resources:
        for weekday in range(5):
            for start, end in OPENING_HOURS:
                resource.working_hours.append(WorkingHours(weekday=weekday, start=start, end=end))
    statuses = default_statuses(practice, "de")
    types = [
        AppointmentType(
            practice=practice,
            name=name,
            duration_minutes=minutes,
            position=i,
            requires_approval=approval,
            capacity=capacity,
            reminders_allowed=reminders,
            initial_status=statuses[0] if approval else statuses[2],
            buffer_before_minutes=before,
            buffer_after_minutes=after,
        )
        for i, (name, minutes, approval, capacity, reminders, before, after) in enumerate(TYPES)
    ]
    for kind in types:
        kind.resources = resources[2:] if kind.is_group else resources[:2]
    session.add_all([*branches, *resources, *statuses, *types])
    closed = _closed_days(branches[0], now)
    session.add(
        User(
            practice=practice,
            email=ADMIN_EMAIL,
            name="Demo Admin",
            password_hash=admin_password_hash,
            role=Role.ADMIN,
            created_at=now,
        )
    )
    session.flush()  # appointments take their branch id from their resource
    _seed_requests(session, practice, types, resources, statuses, closed, now)
    if with_reminder_cases:
        _seed_reminder_cases(session, practice, types, resources, statuses, closed, now)
    session.commit()
    return practice, True


def _closed_days(branch: Branch, now: datetime) -> set[date]:
    """The branch's holidays of the next weeks; when there is none, a closing day of its own
    (a weekday two weeks ahead), so the demo always shows a closed day soon."""
    today = now.astimezone(ZoneInfo(branch.practice.timezone)).date()
    last = today + timedelta(weeks=HOLIDAY_WEEKS)
    holidays = closures.statutory(branch.country, branch.subdivision, today, last, "de")
    if holidays:
        return set(holidays)
    day = today + timedelta(weeks=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    branch.days.append(BranchDay(day=day, is_open=False, name=CLOSING_DAY))
    return {day}


def _working_day(day: date, closed: set[date]) -> bool:
    return day.weekday() < 5 and day not in closed


def _seed_requests(session, practice, types, resources, statuses, closed, now) -> None:
    """A handful of online requests on the coming working days, so the console has something
    (one of them waiting for an earlier time)."""
    tz = ZoneInfo(practice.timezone)
    people = [
        ("Frau", "Erika", "Mustermann", "erika@example.org", "+4915112345678"),
        ("Herr", "Max", "Schmidt", "max.schmidt@example.org", "+4917012345678"),
        ("", "Anna", "Weber", "anna.weber@example.org", "+493012345678"),
        ("Herr", "Klaus", "Fischer", "k.fischer@example.org", "+4916012345678"),
    ]
    day = now.astimezone(tz).date()
    placed = 0
    while placed < len(people):
        day += timedelta(days=1)
        if not _working_day(day, closed):
            continue
        salutation, first, last, email, phone = people[placed]
        kind = types[placed % 2]
        start = datetime.combine(day, time(10 + placed, 0), tzinfo=tz).astimezone(UTC)
        status = statuses[0] if kind.requires_approval else statuses[2]
        arrived = now - timedelta(hours=placed + 1)  # they came in over the last hours
        appointment = booking.new_appointment(
            session,
            practice,
            kind,
            resources[placed % 2],
            start,
            status,
            source=Source.ONLINE,
            by=Actor.CUSTOMER,
            now=arrived,
            req_salutation=salutation,
            req_first_name=first,
            req_last_name=last,
            req_email=email,
            req_phone=phone,
            consent_at=now,
            consent_privacy_url=practice.privacy_policy_url,
        )
        appointment.updated_at = now
        if placed == 2:  # Anna Weber would rather come earlier: the console's waiting list
            session.add(
                WaitlistEntry(
                    practice_id=practice.id, appointment=appointment, until=day, created_at=now
                )
            )
        placed += 1


def _seed_reminder_cases(session, practice, types, resources, statuses, closed, now) -> None:
    """Customers booked by staff for the next working day: an SMS, an email, two skips with
    a reason, and three appointments no reminder is for (group, unconfirmed, not allowed)."""
    practice.reminders_enabled = True
    tz = ZoneInfo(practice.timezone)
    day = now.astimezone(tz).date() + timedelta(days=1)
    while not _working_day(day, closed):
        day += timedelta(days=1)
    for first, last, email, phone, channel, kind, status, resource, at in REMINDER_CASES:
        customer = Customer(
            practice=practice,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            preferred_channel=channel,
            created_at=now,
        )
        start = datetime.combine(day, time.fromisoformat(at), tzinfo=tz).astimezone(UTC)
        booking.new_appointment(
            session,
            practice,
            types[kind],
            resources[resource],
            start,
            statuses[status],
            source=Source.STAFF,
            by=Actor.USER,
            now=now,
            customer=customer,
        )
