"""Coordination requests end to end with a controllable clock: use case → outbox → real RQ
worker → real SMTP server in the test process → the customer's link through the test client.

The app's clock is pinned (CLOCK); the worker's delayed jobs are scheduled by the real clock,
so each test flushes Redis and lets the dispatcher hand over the rows due at the pinned time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from console.history import note_text
from core import coordination, scheduling, workflow
from core.models import (
    Customer,
    Notification,
    NotificationState,
    StatusKind,
    User,
)
from harness.appointments import demo_practice
from tests.integration.test_outbox_delivery import calendar_part
from tests.workers import burst, dispatcher, mailing_app

CUSTOMER = "kunde@example.org"
SAME_ORIGIN = {"Origin": "http://localhost"}
# Monday 30 November 2026, 08:00 UTC: the appointments lie later that week.
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def capp(database_url, tmp_path, smtp, redis_conn, clock):
    with mailing_app(database_url, tmp_path, smtp, CLOCK=clock) as app:
        yield app


@pytest.fixture
def s(capp):
    from extensions import db

    return db.session


@pytest.fixture
def practice(s, clock):
    return demo_practice(s, clock.now)


def staff_appointment(s, practice, clock, *, days: int, hour: int = 5, customer=None):
    customer = customer or s.scalar(
        select(Customer).where(Customer.practice_id == practice.id, Customer.email == CUSTOMER)
    )
    if customer is None:
        customer = Customer(
            practice_id=practice.id,
            first_name="Karl",
            last_name="Kunde",
            email=CUSTOMER,
            created_at=clock.now,
        )
        s.add(customer)
        s.flush()
    kind = next(t for t in practice.appointment_types if not t.requires_approval)
    user = s.scalar(select(User).where(User.practice_id == practice.id))
    start = START.replace(hour=hour) + timedelta(days=days)
    return scheduling.create_for_customer(
        s, practice, customer, kind, kind.resources[0], start, user_id=user.id, now=clock.now
    )


def request_for(s, appointments, clock, *, allow_decline=True):
    request = coordination.create(
        s,
        appointments,
        recipients=CUSTOMER,
        allow_decline=allow_decline,
        message="Wie telefonisch besprochen.",
        now=clock.now,
    )
    s.commit()
    return request


def deliver_due(capp, redis_conn) -> None:
    """Drop jobs scheduled by the real clock; deliver what is due at the pinned clock."""
    redis_conn.flushdb()
    dispatcher(capp)
    burst(capp)


def link(message, label: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return urlsplit(re.search(rf"(?:{label}): (\S+)", text).group(1)).path


def test_proposals_are_the_customers_other_appointments_of_the_same_local_week(s, practice, clock):
    monday = staff_appointment(s, practice, clock, days=0)
    friday = staff_appointment(s, practice, clock, days=4)
    staff_appointment(s, practice, clock, days=7)  # next week
    assert coordination.proposals(s, monday) == [friday]


def test_sent_after_the_grace_accept_once_and_the_link_shows_the_answer(
    capp, s, practice, clock, smtp, redis_conn
):
    first = staff_appointment(s, practice, clock, days=1)
    second = staff_appointment(s, practice, clock, days=2)
    request = request_for(s, [first, second], clock)
    assert coordination.state(request, clock.now) is coordination.State.SCHEDULED

    clock.now += timedelta(minutes=9)
    deliver_due(capp, redis_conn)
    assert smtp.to(CUSTOMER) == []

    clock.now += timedelta(minutes=2)
    deliver_due(capp, redis_conn)
    [mail] = smtp.to(CUSTOMER)
    assert "Wie telefonisch besprochen." in mail.get_body(("plain",)).get_content()
    s.expire_all()
    assert request.sent_at == clock.now
    assert coordination.state(request, clock.now) is coordination.State.SENT

    client = capp.test_client()
    path = link(mail, "Annehmen|Accept")
    page = client.get(path)
    assert page.status_code == 200 and b"<form" in page.data
    text = page.get_data(as_text=True)
    assert text.count("<h1>") == 1 and '<meta name="robots" content="noindex">' in text
    assert "<footer>" in text and "Telefon" in text[text.index("<footer>") :]
    s.expire_all()
    assert request.outcome is None  # GET changes nothing
    assert client.post(path, headers=SAME_ORIGIN).status_code == 200
    s.expire_all()
    assert request.outcome == "accepted"
    assert {a.status.kind for a in request.appointments} == {StatusKind.CONFIRMED}
    with capp.test_request_context(), force_locale("en"):
        notes = [note_text(h, practice) for h in first.history]
    assert any("Accepted by the customer through the please-confirm email" in n for n in notes)
    again = client.post(path, headers=SAME_ORIGIN)
    assert b"<form" not in again.data and again.status_code == 200
    assert coordination.answer(s, request, coordination.Action.DECLINE, now=clock.now) is (
        coordination.Answer.ALREADY_ACCEPTED
    )


def test_withdrawn_within_the_grace_sends_nothing(capp, s, practice, clock, smtp, redis_conn):
    request = request_for(s, [staff_appointment(s, practice, clock, days=1)], clock)
    clock.now += timedelta(minutes=5)
    assert coordination.withdraw(request, clock.now)
    s.commit()
    clock.now += timedelta(minutes=10)
    deliver_due(capp, redis_conn)
    assert smtp.messages == []
    row = s.scalar(select(Notification).where(Notification.coordination_request_id == request.id))
    assert row.state is NotificationState.SKIPPED
    assert coordination.state(request, clock.now) is coordination.State.WITHDRAWN
    assert not coordination.withdraw(request, clock.now)


def method(message) -> str | None:
    """The METHOD of a mail's Termin.ics, None for a mail without one."""
    calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return str(calendar_part(message)[1]["METHOD"]) if calendars else None


def cancel(s, practice, appointment, clock) -> None:
    """Staff cancel the appointment with a reason, as the console does."""
    from core import effects

    cancelled = next(
        st
        for st in practice.statuses
        if st.kind is StatusKind.CANCELLED and not st.is_customer_cancellation
    )
    happened = workflow.change_status(
        appointment, cancelled, now=clock.now, by=workflow.Actor.USER, reason="Krank"
    )
    effects.record(s, happened, clock.now)
    s.commit()


def test_removed_inside_the_grace_the_customer_gets_no_mail_at_all(
    capp, s, practice, clock, smtp, redis_conn
):
    """Seed 002: a staff booking whose please-confirm email still waits out its grace was
    never announced; cancelling it then is a correction, and the customer hears nothing."""
    appointment = staff_appointment(s, practice, clock, days=1)
    request = request_for(s, [appointment], clock)
    clock.now += timedelta(minutes=5)
    cancel(s, practice, appointment, clock)
    assert request.withdrawn_at == clock.now
    clock.now += timedelta(minutes=11)
    deliver_due(capp, redis_conn)
    assert smtp.to(CUSTOMER) == []
    rows = s.scalars(  # (the freed time may go to the demo's waiting list: another customer)
        select(Notification).where(
            Notification.kind != "staff_new_request",
            Notification.appointment_id == appointment.id,
        )
    ).all()
    assert [(r.kind, r.state) for r in rows] == [
        ("coordination_request", NotificationState.SKIPPED)
    ]


def test_cancelling_after_the_grace_tells_the_customer_once(
    capp, s, practice, clock, smtp, redis_conn
):
    appointment = staff_appointment(s, practice, clock, days=1)
    request_for(s, [appointment], clock)
    clock.now += timedelta(minutes=11)
    deliver_due(capp, redis_conn)
    cancel(s, practice, appointment, clock)
    deliver_due(capp, redis_conn)
    [asked, cancellation] = smtp.to(CUSTOMER)
    assert method(asked) is None
    assert calendar_part(cancellation)[1]["METHOD"] == "CANCEL"


def test_a_phone_booking_without_any_email_is_still_cancelled_by_email(
    capp, s, practice, clock, smtp, redis_conn
):
    appointment = staff_appointment(s, practice, clock, days=1)
    cancel(s, practice, appointment, clock)
    deliver_due(capp, redis_conn)
    [cancellation] = smtp.to(CUSTOMER)
    assert "Krank" in cancellation.get_body(("plain",)).get_content()


def test_one_appointment_removed_from_a_bundle_inside_the_grace_leaves_only_itself(
    capp, s, practice, clock, smtp, redis_conn
):
    first = staff_appointment(s, practice, clock, days=1)
    second = staff_appointment(s, practice, clock, days=2)
    request = request_for(s, [first, second], clock)
    clock.now += timedelta(minutes=3)
    cancel(s, practice, first, clock)
    assert request.withdrawn_at is None
    assert [a.id for a in request.appointments] == [second.id]
    clock.now += timedelta(minutes=11)
    deliver_due(capp, redis_conn)
    [asked] = smtp.to(CUSTOMER)  # the request for the second; nothing about the first
    text = asked.get_body(("plain",)).get_content()
    assert second.type.name in text
    assert len(re.findall(r"^- ", text, re.MULTILINE)) == 1  # one appointment listed
    s.expire_all()
    assert coordination.state(request, clock.now) is coordination.State.SENT


def test_decline_frees_the_slot_fills_the_tray_and_alerts_staff(
    capp, s, practice, clock, smtp, redis_conn
):
    appointment = staff_appointment(s, practice, clock, days=1)
    request = request_for(s, [appointment], clock)
    clock.now += timedelta(minutes=11)
    deliver_due(capp, redis_conn)
    [mail] = smtp.to(CUSTOMER)
    client = capp.test_client()
    path = link(mail, "Ablehnen|Decline")
    assert client.post(path, headers=SAME_ORIGIN).status_code == 200
    s.expire_all()
    assert appointment.status.kind is StatusKind.DECLINED
    assert coordination.declined_tray(s, practice.id, appointment.branch_id) == [appointment]
    assert coordination.state(request, clock.now) is coordination.State.DECLINED
    # The slot is free: the same time can be booked again.
    from core import booking

    booking.ensure_free(
        s, appointment.resource_id, appointment.type, appointment.start, appointment.end
    )
    s.rollback()
    deliver_due(capp, redis_conn)
    assert smtp.to(practice.staff_alert_email)


def test_decline_refused_when_not_allowed_and_links_expire_at_the_start(capp, s, practice, clock):
    appointment = staff_appointment(s, practice, clock, days=1)
    request = request_for(s, [appointment], clock, allow_decline=False)
    client = capp.test_client()
    with capp.test_request_context():
        from links import confirm_url

        decline = urlsplit(confirm_url(request, coordination.Action.DECLINE)).path
        accept = urlsplit(confirm_url(request, coordination.Action.ACCEPT)).path
    client.post(decline, headers=SAME_ORIGIN)
    s.expire_all()
    assert appointment.status.kind is StatusKind.CONFIRMED and request.outcome is None
    clock.now = appointment.start
    page = client.post(accept, headers=SAME_ORIGIN)
    assert page.status_code == 200 and b"<form" not in page.data
    s.expire_all()
    assert request.outcome is None


def test_forged_and_foreign_tokens_find_nothing(capp, s, practice, clock):
    request = request_for(s, [staff_appointment(s, practice, clock, days=1)], clock)
    client = capp.test_client()
    assert client.get(f"/w/{practice.slug}/confirm/forged.token").status_code == 404
    from core import tokens

    other_secret = tokens.sign(
        "another-secret", tokens.Purpose.COORDINATION, [request.id, "accept"]
    )
    assert (
        client.post(f"/w/{practice.slug}/confirm/{other_secret}", headers=SAME_ORIGIN).status_code
        == 404
    )
    wrong_purpose = tokens.sign(
        capp.config["SECRET_KEY"], tokens.Purpose.CANCEL, [request.id, "accept"]
    )
    assert client.get(f"/w/{practice.slug}/confirm/{wrong_purpose}").status_code == 404
    good = coordination.link_token(capp.config["SECRET_KEY"], request, coordination.Action.ACCEPT)
    assert client.get(f"/w/another-practice/confirm/{good}").status_code == 404
    assert client.post(f"/w/{practice.slug}/confirm/{good}").status_code == 403  # no Origin
    s.expire_all()
    assert request.outcome is None


def test_a_move_after_sending_sends_an_update_with_a_raised_sequence(
    capp, s, practice, clock, smtp, redis_conn
):
    appointment = staff_appointment(s, practice, clock, days=1)
    request_for(s, [appointment], clock)
    clock.now += timedelta(minutes=11)
    deliver_due(capp, redis_conn)
    user = s.scalar(select(User).where(User.practice_id == practice.id))
    scheduling.move(
        s,
        appointment,
        appointment.resource,
        appointment.start + timedelta(hours=2),
        user_id=user.id,
        now=clock.now,
    )
    deliver_due(capp, redis_conn)
    assert len(smtp.to(CUSTOMER)) == 1  # the update waits out the undo window
    clock.now += timedelta(seconds=practice.undo_seconds)
    deliver_due(capp, redis_conn)
    [request_mail, update] = smtp.to(CUSTOMER)
    assert not [p for p in request_mail.walk() if p.get_content_type() == "text/calendar"]
    _, calendar = calendar_part(update)
    assert calendar["METHOD"] == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    s.expire_all()
    assert int(event["SEQUENCE"]) == appointment.ics_sequence >= 1
    assert event.decoded("DTSTART") == appointment.start


def test_a_cancellation_after_sending_reaches_every_recipient_once_with_method_cancel(
    capp, s, practice, clock, smtp, redis_conn
):
    appointment = staff_appointment(s, practice, clock, days=1)
    request = coordination.create(
        s,
        [appointment],
        recipients=f"{CUSTOMER.upper()}, tochter@example.org",
        allow_decline=True,
        message="",
        now=clock.now,
    )
    s.commit()
    clock.now += timedelta(minutes=11)
    deliver_due(capp, redis_conn)
    assert len(smtp.to("tochter@example.org")) == 1  # the request
    cancel(s, practice, appointment, clock)
    deliver_due(capp, redis_conn)
    for address in (CUSTOMER, "tochter@example.org"):
        [cancellation] = [m for m in smtp.to(address) if method(m) == "CANCEL"]
        assert "Krank" in cancellation.get_body(("plain",)).get_content()
    s.expire_all()
    assert request.withdrawn_at is None  # sent requests stay as they were
