"""Undo instead of final misclicks: a staff change holds its messages for the undo window,
undoing restores the state and withdraws them, a cancellation asks first, and the window's
setting is bounded."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.models import (
    Appointment,
    Customer,
    NoteKind,
    Notification,
    NotificationState,
    Practice,
    Status,
    StatusKind,
    UndoableChange,
)
from tests.web.staff import NOW

BERLIN = ZoneInfo("Europe/Berlin")


def first_request(session) -> Appointment:
    return session.scalars(
        select(Appointment)
        .join(Status)
        .where(Status.kind == StatusKind.START)
        .order_by(Appointment.start)
    ).first()


def status_of_kind(session, kind) -> Status:
    return session.scalars(select(Status).where(Status.kind == kind).order_by(Status.id)).first()


def cancel(console, a, reason="Akustikerin erkrankt", **extra):
    cancelled = status_of_kind(console.session, StatusKind.CANCELLED)
    return console.post(
        f"/console/appointments/{a.id}/status",
        data={"status": cancelled.id, "reason": reason, **extra},
    )


@pytest.fixture
def desk(console, session):
    console.session = session
    return console


def rows_of(session, a, kind):
    return session.scalars(
        select(Notification).where(Notification.appointment_id == a.id, Notification.kind == kind)
    ).all()


def undo_form(page_text) -> str:
    return re.search(r'name="change" value="(\d+)"', page_text).group(1)


def test_a_cancellation_asks_first_and_changes_nothing_until_confirmed(desk, session):
    a = first_request(session)
    page = cancel(desk, a)
    assert page.status_code == 200 and "Diesen Termin wirklich absagen?" in page.text
    assert "Akustikerin erkrankt" in page.text and 'name="confirmed" value="yes"' in page.text
    session.expire_all()
    assert session.get(Appointment, a.id).status.kind is StatusKind.START
    assert rows_of(session, a, "cancellation") == []


def test_undo_of_a_cancellation_restores_it_and_withdraws_the_email(desk, session):
    a = first_request(session)
    before = a.status_id
    assert cancel(desk, a, confirmed="yes").status_code == 303
    (row,) = rows_of(session, a, "cancellation")
    assert row.not_before == NOW + timedelta(seconds=60)  # the default window
    page = desk.get(f"/console/appointments/{a.id}")
    assert "Rückgängig" in page.text and "11:01:00" in page.text
    response = desk.post(
        f"/console/appointments/{a.id}/undo", data={"change": undo_form(page.text)}
    )
    assert response.status_code == 303
    session.expire_all()
    a = session.get(Appointment, a.id)
    assert a.status_id == before
    assert session.get(Notification, row.id).state is NotificationState.SKIPPED
    assert a.history[0].note_kind is NoteKind.UNDONE
    page = desk.get(response.location)
    assert "Änderung rückgängig gemacht" in page.text and "Rückgängig</button>" not in page.text


def test_undo_after_the_window_is_refused_and_the_email_stays(app, desk, session):
    a = first_request(session)
    cancel(desk, a, confirmed="yes")
    change = session.scalar(select(UndoableChange))
    app.config["CLOCK"] = lambda: NOW + timedelta(seconds=60)
    page = desk.post(f"/console/appointments/{a.id}/undo", data={"change": change.id})
    assert page.status_code == 422 and "Zeit zum Rückgängigmachen ist vorbei" in page.text
    session.expire_all()
    assert session.get(Appointment, a.id).status.kind is StatusKind.CANCELLED
    assert rows_of(session, a, "cancellation")[0].state is NotificationState.PENDING


def test_undo_of_a_cancellation_refuses_when_the_slot_was_booked_meanwhile(desk, session):
    a = first_request(session)
    cancel(desk, a, confirmed="yes")
    customer = Customer(practice_id=a.practice_id, last_name="Nachrücker", created_at=NOW)
    session.add(customer)
    session.commit()
    local = a.start.astimezone(BERLIN)
    booked = desk.post(
        "/console/calendar/appointments",
        data={
            "customer": customer.id,
            "type": a.type_id,
            "resource": a.resource_id,
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
        },
    )
    assert booked.status_code == 303
    change = session.scalar(select(UndoableChange))
    page = desk.post(f"/console/appointments/{a.id}/undo", data={"change": change.id})
    assert page.status_code == 422 and "inzwischen vergeben" in page.text
    session.expire_all()
    assert session.get(Appointment, a.id).status.kind is StatusKind.CANCELLED
    assert rows_of(session, a, "cancellation")[0].state is NotificationState.PENDING


def test_undo_of_a_move_puts_the_appointment_back(desk, session):
    a = first_request(session)
    old_start, old_resource = a.start, a.resource_id
    new = (a.start + timedelta(days=1)).astimezone(BERLIN)
    moved = desk.post(
        f"/console/appointments/{a.id}/move",
        data={"resource": a.resource_id, "date": new.date().isoformat(), "time": "16:00"},
    )
    assert moved.status_code == 303
    change = session.scalar(select(UndoableChange))
    assert desk.post(f"/console/appointments/{a.id}/undo", data={"change": change.id}).status_code
    session.expire_all()
    a = session.get(Appointment, a.id)
    assert (a.start, a.resource_id) == (old_start, old_resource)
    again = desk.post(f"/console/appointments/{a.id}/undo", data={"change": change.id})
    assert again.status_code == 422 and "bereits rückgängig" in again.text


def test_a_move_that_sends_nothing_says_so_instead_of_announcing_messages(desk, session):
    """A staff move tells the customer nothing by itself (only recipients of a sent
    please-confirm email hear of it): the undo bar must not promise messages."""
    a = first_request(session)
    new = (a.start + timedelta(days=1)).astimezone(BERLIN)
    desk.post(
        f"/console/appointments/{a.id}/move",
        data={"resource": a.resource_id, "date": new.date().isoformat(), "time": "16:00"},
    )
    page = desk.get(f"/console/appointments/{a.id}").text
    assert "Rückgängig</button>" in page
    assert "schickt niemandem eine Nachricht" in page
    assert "Nachrichten zu dieser Änderung" not in page
    cancel(desk, a, confirmed="yes")
    page = desk.get(f"/console/appointments/{a.id}").text
    assert "Nachrichten zu dieser Änderung werden um" in page


def test_a_confirmation_waits_out_the_window_and_a_window_of_0_sends_at_once(desk, session):
    a, b = session.scalars(
        select(Appointment).join(Status).where(Status.kind == StatusKind.START).limit(2)
    ).all()
    confirmed = status_of_kind(session, StatusKind.CONFIRMED)
    desk.post(f"/console/appointments/{a.id}/status", data={"status": confirmed.id})
    assert {r.not_before for r in rows_of(session, a, "confirmation")} == {
        NOW + timedelta(seconds=60)
    }
    session.scalar(select(Practice)).undo_seconds = 0
    session.commit()
    desk.post(f"/console/appointments/{b.id}/status", data={"status": confirmed.id})
    assert {r.not_before for r in rows_of(session, b, "confirmation")} == {NOW}
    assert "Rückgängig</button>" not in desk.get(f"/console/appointments/{b.id}").text


@pytest.mark.parametrize("value", ["601", "-1", "zehn", "99999", ""])
def test_an_undo_window_outside_0_to_600_seconds_is_refused(desk, session, value):
    form = {"embed_origins": "", "inbox_poll_seconds": "120", "undo_seconds": value}
    page = desk.post("/console/settings", data=form)
    assert page.status_code == 422 and "Zwischen 0 und 600 Sekunden" in page.text
    session.expire_all()
    assert session.scalar(select(Practice)).undo_seconds == 60


@pytest.mark.parametrize("value", ["0", "600"])
def test_an_undo_window_inside_the_bounds_is_saved(desk, session, value):
    form = {"embed_origins": "", "inbox_poll_seconds": "120", "undo_seconds": value}
    assert desk.post("/console/settings", data=form).status_code == 303
    session.expire_all()
    assert session.scalar(select(Practice)).undo_seconds == int(value)
