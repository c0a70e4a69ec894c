"""Every message right, read where the customer reads it: widget bookings through the test
client, delivered by the real RQ worker (burst, this process) to the SMTP sink.

Each test names the point of issue 12 it proves; the clock is pinned for the web side and
the worker alike, so "before the appointment" means the same to both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import booking, demo, triage
from core.models import Appointment, Practice, Status, StatusKind, User, WorkingHours
from tests.workers import burst, mailing_app

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # Sunday: the grid opens on Monday 23 Nov
ORIGIN = {"Origin": "http://localhost"}
CUSTOMER = "else.kling@example.org"
STAFF = "praxis@demo.example"
ZONE = ZoneInfo("Europe/Berlin")
PERSON = {
    "salutation": "Frau",
    "first_name": "Else",
    "last_name": "Kling",
    "email": CUSTOMER,
    "phone": "0151 12345678",
    "consent": "yes",
}


@pytest.fixture
def mapp(database_url, tmp_path, smtp, redis_conn):
    with mailing_app(
        database_url, tmp_path, smtp, CLOCK=lambda: NOW, WIDGET_MIN_FILL_SECONDS=0
    ) as app:
        yield app


@pytest.fixture
def s(mapp):
    from extensions import db

    return db.session


@pytest.fixture
def practice(s) -> Practice:
    practice, _ = demo.seed(s, now=NOW, admin_password_hash="x")
    return practice


def kind(practice: Practice, name: str):
    return next(t for t in practice.appointment_types if t.name == name)


def book(client, practice, type_name="Hörtest", lang=None, **person) -> str:
    """Book the first free time of the type at the first branch through the widget; returns
    the done page's HTML. Each request gets its own app context, as in production (the test
    holds one open, which requests would otherwise share, locale and all)."""
    query = {"type": kind(practice, type_name).id, "branch": practice.branches[0].id}
    if lang:
        query["lang"] = lang
    week = request(client, "get", "/w/demo/week", query_string=query)
    link = re.search(r'href="(book\?[^"]+)"', week.text).group(1).replace("&amp;", "&")
    form = request(client, "get", "/w/demo/" + link)
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    data = {"token": token, **PERSON, **person}
    if lang:
        data["lang"] = lang
    done = request(client, "post", "/w/demo/book", data=data, headers=ORIGIN, follow_redirects=True)
    assert done.status_code == 200, done.text
    return done.text


def request(client, method: str, path: str, **options):
    with client.application.app_context():
        return getattr(client, method)(path, **options)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def calendar_of(message) -> Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content())


def test_1_every_mail_carries_a_date_and_a_message_id_stable_per_row(mapp, s, practice, smtp):
    client = mapp.test_client()
    book(client, practice)
    book(client, practice, "Beratung", email="zweite@example.org")
    burst(mapp)
    assert len(smtp.messages) >= 4  # confirmation, copy, receipt and staff alerts
    for message in smtp.messages:
        assert parsedate_to_datetime(message["Date"]) == NOW
        assert re.fullmatch(r"<termine\.\d+\.\d{14}@localhost>", message["Message-ID"])
    assert len({m["Message-ID"] for m in smtp.messages}) == len(smtp.messages)


def test_a_repeated_attempt_carries_the_same_message_id(mapp, s, practice):
    """Issue 16.7: a delivery repeated after a lost SMTP answer must be recognisable as the
    same message, so mail programs show it once."""
    from core.models import Notification
    from notifications.emails import compose

    book(mapp.test_client(), practice)
    row = s.scalars(select(Notification).where(Notification.recipient == CUSTOMER)).first()
    first = compose(row, now=NOW)
    again = compose(row, now=NOW + timedelta(minutes=5))
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Date"] != again["Date"]


def test_2_a_type_with_the_consoles_defaults_sends_the_receipt_then_the_confirmation(
    mapp, s, practice, smtp
):
    test_type = kind(practice, "Hörtest")
    test_type.requires_approval, test_type.initial_status = False, None  # console defaults
    s.commit()
    client = mapp.test_client()
    done = book(client, practice)
    assert "not yet confirmed" in done or "noch nicht bestätigt" in done
    burst(mapp)
    [receipt] = smtp.to(CUSTOMER)
    assert "noch nicht bestätigt" in text_of(receipt) and "/cancel/" in text_of(receipt)
    [event] = calendar_of(receipt).events
    assert str(event["STATUS"]) == "TENTATIVE"
    assert smtp.to(STAFF)  # the staff alert went too

    appointment = s.scalar(select(Appointment).where(Appointment.req_email == CUSTOMER))
    confirmed = next(st for st in practice.statuses if st.kind is StatusKind.CONFIRMED)
    user = s.scalar(select(User))
    practice.undo_seconds = 0  # no undo window: the confirmation leaves at once
    triage.set_status(s, appointment, confirmed.id, user_id=user.id, now=NOW)
    burst(mapp)
    [_, confirmation] = smtp.to(CUSTOMER)
    assert "bestätigt" in confirmation["Subject"]
    assert str(calendar_of(confirmation).events[0]["STATUS"]) == "CONFIRMED"


def test_3_a_slot_freeing_initial_status_never_frees_the_booked_slot(mapp, s, practice, smtp):
    test_type = kind(practice, "Hörtest")
    test_type.initial_status = next(st for st in practice.statuses if st.kind.frees_slot)
    test_type.resources = test_type.resources[:1]  # one cabin: a second booking must not fit
    s.commit()
    client = mapp.test_client()
    book(client, practice)
    [first] = s.scalars(select(Appointment).where(Appointment.req_email == CUSTOMER)).all()
    assert not first.status.kind.frees_slot and first.holds_slot
    query = {"type": test_type.id, "branch": practice.branches[0].id}
    week = request(client, "get", "/w/demo/week", query_string=query).text
    local = first.start.astimezone(ZONE)
    assert f"start={local:%Y-%m-%dT%H:%M}" not in week  # the time is no longer offered


def test_3_postgresql_refuses_two_overlapping_slot_holders_whatever_the_code_path(
    mapp, s, practice, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("the exclusion constraint is PostgreSQL's (SQLite serialises writers)")
    taken = s.scalars(select(Appointment).where(Appointment.holds_slot)).first()
    twin = Appointment(
        practice=taken.practice,
        branch_id=taken.branch_id,
        resource_id=taken.resource_id,
        type=taken.type,
        status=taken.status,
        source=taken.source,
        start=taken.start + timedelta(minutes=10),
        end=taken.end + timedelta(minutes=10),
        created_at=NOW,
        updated_at=NOW,
    )
    s.add(twin)
    with pytest.raises(IntegrityError) as refused:
        s.commit()
    s.rollback()
    assert booking.is_overlap(refused.value)
    cancelled = next(st for st in practice.statuses if st.kind.frees_slot)
    twin = Appointment(**{**_columns(taken), "status": cancelled, "ics_uid": None})
    s.add(twin)
    s.commit()  # a cancelled appointment holds no slot: it may overlap


def _columns(a: Appointment) -> dict:
    return {
        "practice": a.practice,
        "branch_id": a.branch_id,
        "resource_id": a.resource_id,
        "type": a.type,
        "source": a.source,
        "start": a.start,
        "end": a.end,
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_3_a_write_that_skipped_the_lock_is_refused_as_slot_taken(mapp, s, practice, database_url):
    """The backstop: should a code path ever write without the resource lock, committing an
    overlap gives the ordinary "just taken" answer and stores nothing."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the exclusion constraint is PostgreSQL's")
    taken = s.scalars(select(Appointment).where(Appointment.holds_slot)).first()
    before = s.scalar(select(func.count()).select_from(Appointment))
    s.add(_like(s, taken.type, taken.resource, taken.start))
    with pytest.raises(booking.SlotTaken):
        booking.commit(s)
    assert s.scalar(select(func.count()).select_from(Appointment)) == before


def _like(session, test_type, resource, start) -> Appointment:
    status = session.scalars(select(Status).where(Status.kind == StatusKind.CONFIRMED)).first()
    return Appointment(
        practice_id=resource.practice_id,
        branch_id=resource.branch_id,
        resource_id=resource.id,
        type_id=test_type.id,
        status=status,
        source="staff",
        start=start,
        end=start + timedelta(minutes=test_type.duration_minutes),
        language="de",
        created_at=NOW,
        updated_at=NOW,
    )


def test_4_an_english_booking_gets_english_mail_and_the_staff_stay_german(mapp, s, practice, smtp):
    client = mapp.test_client()
    done = book(client, practice, lang="en")
    assert "Your appointment is confirmed" in done
    assert s.scalar(select(Appointment.language).where(Appointment.req_email == CUSTOMER)) == "en"
    burst(mapp)
    [confirmation] = smtp.to(CUSTOMER)
    assert confirmation["Subject"].startswith("Your appointment on ")
    body = text_of(confirmation)
    assert "Dear Ms Kling," in body and "Cannot make it?" in body and "Sunday" not in body
    assert re.search(
        r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday) \d{1,2} November 2026", body
    )  # British
    assert '<html lang="en">' in confirmation.get_body(("html",)).get_content()
    [alert] = smtp.to(STAFF)
    assert alert["Subject"].startswith("Neue Online-Anfrage")


def test_5_the_customer_is_greeted_with_the_salutation_chosen(mapp, s, practice, smtp):
    client = mapp.test_client()
    book(client, practice)
    book(client, practice, email="ohne@example.org", salutation="", first_name="Kim")
    book(client, practice, email="mr@example.org", salutation="Herr", lang="en", last_name="Ott")
    burst(mapp)
    assert "Guten Tag Frau Kling," in text_of(smtp.to(CUSTOMER)[0])
    assert "Guten Tag Kim Kling," in text_of(smtp.to("ohne@example.org")[0])
    assert "Dear Mr Ott," in text_of(smtp.to("mr@example.org")[0])
    html = smtp.to(CUSTOMER)[0].get_body(("html",)).get_content()
    assert "Guten Tag Frau Kling," in html


def test_11_the_calendar_file_is_the_same_on_the_done_page_and_in_the_mail(mapp, s, practice, smtp):
    client = mapp.test_client()
    done = book(client, practice, "Beratung")  # a request: tentative
    ics_path = re.search(r'href="([^"]+Termin\.ics[^"]*)"', done).group(1)
    fetched = request(client, "get", ics_path.replace("&amp;", "&"))
    assert fetched.status_code == 200
    burst(mapp)
    [receipt] = smtp.to(CUSTOMER)
    [part] = [p for p in receipt.walk() if p.get_content_type() == "text/calendar"]

    def without_stamp(data: str) -> str:
        return re.sub(r"DTSTAMP:\S+", "", data.replace("\r\n", "\n"))

    assert without_stamp(fetched.text) == without_stamp(part.get_content())
    assert "ORGANIZER" in fetched.text and "TENTATIVE" in fetched.text


def test_9_sunday_hours_are_bookable_in_the_widget(mapp, s, practice):
    test_type = kind(practice, "Hörtest")
    for resource in test_type.resources:
        s.add(WorkingHours(resource=resource, weekday=6, start=time(10), end=time(12)))
    s.commit()
    client = mapp.test_client()
    query = {"type": test_type.id, "branch": practice.branches[0].id, "week": "2026-11-23"}
    week = request(client, "get", "/w/demo/week", query_string=query).text
    assert "start=2026-11-29T10:00" in week  # Sunday 29 November
    assert "29.11." in week


def test_9_a_week_without_sunday_hours_shows_no_sunday(mapp, s, practice):
    test_type = kind(practice, "Hörtest")
    client = mapp.test_client()
    query = {"type": test_type.id, "branch": practice.branches[0].id, "week": "2026-11-23"}
    week = request(client, "get", "/w/demo/week", query_string=query).text
    assert "29.11." not in week and "27.11." in week  # a weekend day shows only when free


def test_a_long_subject_reads_as_written_wherever_it_is_folded(mapp, s, practice):
    """A subject longer than a header line is folded; the fold must not leave two spaces
    where the template wrote one (Python's folding keeps a trailing space before an encoded
    word, which mail programs then show). The type's name moves the fold over the subject."""
    from email import message_from_bytes, policy

    from core.models import Notification
    from core.outbox import Kind
    from notifications.emails import compose

    book(mapp.test_client(), practice)
    row = s.scalars(select(Notification).where(Notification.kind == Kind.STAFF_NEW_REQUEST)).first()
    for length in range(30):
        row.appointment.type.name = "Test" + "x" * length
        written = compose(row, now=NOW)
        read = message_from_bytes(written.as_bytes(), policy=policy.default)
        assert read["Subject"] == str(written["Subject"]), length
        assert "  " not in read["Subject"], (length, read["Subject"])
