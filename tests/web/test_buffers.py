"""Buffer times per type (demo: "Hörgeräte-Anpassung", 45 minutes with 15 before and 10
after): they block the resource in the widget, staff bookings, moves and the database's
exclusion constraint, and the customer sees only the appointment itself."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import booking
from core.models import Appointment, AppointmentType, Customer
from tests.web.staff import NOW, practice

DAY = "2026-11-30"  # a Monday without demo appointments


def kind(session, name) -> AppointmentType:
    return next(t for t in practice(session).appointment_types if t.name == name)


def cabin(session):
    return practice(session).branches[0].resources[0]


@pytest.fixture
def customer(console, session):
    person = Customer(practice_id=practice(session).id, last_name="Puffer", created_at=NOW)
    session.add(person)
    session.commit()
    return person


def staff_book(console, session, customer, name, at):
    return console.post(
        "/console/calendar/appointments",
        data={
            "customer": customer.id,
            "type": kind(session, name).id,
            "resource": cabin(session).id,
            "date": DAY,
            "time": at,
        },
    )


def offered(client, session, name):
    page = client.get(
        "/w/demo/week",
        query_string={
            "type": kind(session, name).id,
            "branch": practice(session).branches[0].id,
            "resource": cabin(session).id,
            "week": DAY,
        },
    )
    assert page.status_code == 200
    return page, re.findall(rf"book\?start={DAY}T(\d\d:\d\d)", page.text)


def test_a_buffered_booking_blocks_its_buffers_and_shows_only_its_own_time(
    app, console, session, customer
):
    assert staff_book(console, session, customer, "Hörgeräte-Anpassung", "10:00").status_code == 303
    fitting = session.scalar(select(Appointment).where(Appointment.customer_id == customer.id))
    assert fitting.end - fitting.start == timedelta(minutes=45)
    assert (fitting.busy_start, fitting.busy_end) == (
        fitting.start - timedelta(minutes=15),
        fitting.end + timedelta(minutes=10),
    )
    _, times = offered(app.test_client(), session, "Hörtest")  # 30 minutes, no buffers
    assert "09:15" in times and "11:00" in times  # ends at 09:45; starts at 10:55 + grid
    assert not [t for t in times if "09:30" <= t <= "10:45"]
    page, _ = offered(app.test_client(), session, "Hörgeräte-Anpassung")
    assert "(45 Minuten)" in page.text  # the customer's time; the buffers are the practice's


def test_an_online_booking_into_a_buffer_taken_meanwhile_is_refused_under_the_lock(
    app, console, session, customer
):
    widget = app.test_client()
    app.config["WIDGET_MIN_FILL_SECONDS"] = 0
    form = widget.get(f"/w/demo/book?start={DAY}T09:30&" + _choice(session, "Hörtest"))
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    assert staff_book(console, session, customer, "Hörgeräte-Anpassung", "10:00").status_code == 303
    page = widget.post(
        "/w/demo/book",
        data={"token": token, **PERSON},
        headers={"Origin": "http://localhost"},
    )
    assert page.status_code == 409 and "gerade vergeben" in page.text
    assert session.scalar(select(Appointment).where(Appointment.req_last_name == "Muster")) is None


def _choice(session, name) -> str:
    p = practice(session)
    return f"type={kind(session, name).id}&branch={p.branches[0].id}&resource={cabin(session).id}"


PERSON = {
    "first_name": "Erika",
    "last_name": "Muster",
    "email": "erika@example.org",
    "phone": "0151 12345678",
    "consent": "yes",
}


def test_staff_bookings_and_moves_into_a_buffer_are_refused_like_any_overlap(
    console, session, customer
):
    assert staff_book(console, session, customer, "Hörgeräte-Anpassung", "10:00").status_code == 303
    into_before = staff_book(console, session, customer, "Hörtest", "09:30")
    assert into_before.status_code == 422
    assert "überschneidet sich mit einem anderen Termin" in into_before.text
    assert "Pufferzeiten eingeschlossen" in into_before.text
    assert staff_book(console, session, customer, "Hörtest", "10:50").status_code == 422
    assert staff_book(console, session, customer, "Hörtest", "11:00").status_code == 303
    fitting = session.scalar(
        select(Appointment).where(Appointment.type_id == kind(session, "Hörgeräte-Anpassung").id)
    )

    def move(at):
        return console.post(
            f"/console/appointments/{fitting.id}/move",
            data={"resource": fitting.resource_id, "date": DAY, "time": at},
        )

    assert move("11:40").status_code == 422  # its before-buffer (11:25) meets the 11:00 test
    assert move("11:45").status_code == 303
    session.expire_all()
    assert (fitting.busy_start.minute, fitting.busy_end.minute) == (30, 40)  # 11:30–12:40


def test_a_buffer_change_applies_to_new_bookings_and_leaves_booked_ones_as_they_are(
    console, session, customer
):
    fitting_type = kind(session, "Hörgeräte-Anpassung")
    assert staff_book(console, session, customer, "Hörgeräte-Anpassung", "10:00").status_code == 303
    assert staff_book(console, session, customer, "Hörtest", "11:00").status_code == 303
    form = {
        "name": fitting_type.name,
        "duration": "45",
        "capacity": "1",
        "online_bookable": "yes",
        "resources": [r.id for r in fitting_type.resources],
        "buffer_before": "15",
    }
    bad = console.post(
        f"/console/settings/types/{fitting_type.id}", data=form | {"buffer_after": "x"}
    )
    assert bad.status_code == 422 and "Pufferzeiten müssen zwischen 0 und 240" in bad.text
    saved = console.post(
        f"/console/settings/types/{fitting_type.id}", data=form | {"buffer_after": "60"}
    )
    assert saved.status_code == 303
    session.expire_all()
    booked = session.scalar(select(Appointment).where(Appointment.type_id == fitting_type.id))
    assert booked.buffer_after_minutes == 10  # as booked: it still ends its block at 10:55
    assert fitting_type.buffer_after_minutes == 60
    assert staff_book(console, session, customer, "Hörgeräte-Anpassung", "14:00").status_code == 303
    assert staff_book(console, session, customer, "Hörtest", "15:30").status_code == 422
    assert staff_book(console, session, customer, "Hörtest", "15:45").status_code == 303


def test_postgresql_refuses_an_overlap_of_buffers_whatever_the_code_path(
    console, session, customer, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("the exclusion constraint is PostgreSQL's")
    assert staff_book(console, session, customer, "Hörgeräte-Anpassung", "10:00").status_code == 303
    fitting = session.scalar(select(Appointment).where(Appointment.customer_id == customer.id))
    test_type = kind(session, "Hörtest")
    squeezed = Appointment(  # 10:50–11:20 meets only the fitting's after-buffer (until 10:55)
        practice_id=fitting.practice_id,
        branch_id=fitting.branch_id,
        resource_id=fitting.resource_id,
        type=test_type,
        status=fitting.status,
        source="staff",
        start=fitting.end + timedelta(minutes=5),
        end=fitting.end + timedelta(minutes=35),
        language="de",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(squeezed)
    with pytest.raises(IntegrityError) as refused:
        session.commit()
    session.rollback()
    assert booking.is_overlap(refused.value)
