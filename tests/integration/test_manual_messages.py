"""Messages staff write from an appointment, end to end: core.manual → outbox → real RQ
worker → the SMTP sink or the local SMS gateway; what the customer reads, in their language,
and what is refused or skipped because it would come after the fact or contradict the
appointment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import manual, scheduling
from core.models import Channel, NoteKind, Notification, NotificationState, StatusKind
from core.purposes import Purpose, Refusal
from harness.appointments import demo_practice
from harness.sms_gateway import Gateway
from notifications import sms
from tests.integration.test_coordination import (
    CUSTOMER,
    START,
    Clock,
    cancel,
    deliver_due,
    method,
    staff_appointment,
)
from tests.workers import mailing_app

MOBILE = "+4915112345678"
LANDLINE = "+49301234567"


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def capp(database_url, tmp_path, smtp, gateway, redis_conn, clock):
    url = f"http://127.0.0.1:{gateway.server_address[1]}/send"
    with mailing_app(
        database_url, tmp_path, smtp, CLOCK=clock, SMS_PROVIDER="http", SMS_URL=url
    ) as app:
        yield app


@pytest.fixture
def s(capp):
    from extensions import db

    return db.session


@pytest.fixture
def appointment(s, capp, clock):
    """A confirmed staff appointment on Tuesday 1 December 2026, 06:00 UTC, of a customer
    with an email address and a mobile number."""
    practice = demo_practice(s, clock.now)
    booked = staff_appointment(s, practice, clock, days=1)
    booked.customer.phone = MOBILE
    s.commit()
    return booked


def send(s, appointment, clock, *, channel="email", purpose="confirmation", note="", key=""):
    return manual.send(
        s,
        appointment,
        channel=channel,
        purpose=purpose,
        note=note,
        sms_text=sms.manual_text(appointment, purpose, note),
        key=key or manual.new_key(),
        user_id=None,
        now=clock.now,
    )


def messages(s) -> int:
    return s.scalar(select(func.count()).select_from(Notification))


def test_an_english_confirmation_by_email_reaches_the_customer_with_the_calendar_file(
    capp, s, appointment, clock, smtp, redis_conn
):
    appointment.language = "en"
    s.commit()
    deliver_due(capp, redis_conn)  # nothing else is waiting: staff bookings send nothing
    row = send(s, appointment, clock, note="Please bring your old hearing aids.")
    deliver_due(capp, redis_conn)
    [mail] = smtp.to(CUSTOMER)
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert mail["Subject"].startswith("Your appointment on Tuesday 1 December 2026")
    assert mail["Subject"].endswith("is confirmed")
    assert text.startswith("Dear Karl Kunde,")
    assert "Your appointment is confirmed." in text
    assert "calendar.\n\nPlease bring your old hearing aids.\n\nAppointment: " in text
    assert "/cancel/" in text  # a confirmation offers the cancel link
    assert method(mail) == "PUBLISH"
    s.expire_all()
    assert row.state is NotificationState.SENT and row.kind == "manual"
    [note] = [h for h in appointment.history if h.note_kind is NoteKind.MESSAGE]
    assert note.note_params == {"purpose": "confirmation", "channel": "email"}


def test_a_german_sms_about_a_move_names_the_new_time(
    capp, s, appointment, clock, smtp, redis_conn
):
    user_id = None
    new_start = appointment.start + timedelta(days=1, hours=3)  # Wednesday 08:00 UTC
    scheduling.move(s, appointment, appointment.resource, new_start, user_id=user_id, now=clock.now)
    redis_conn.flushdb()
    Gateway.received.clear()
    row = send(s, appointment, clock, channel="sms", purpose="moved", note="Bis bald!")
    deliver_due(capp, redis_conn)
    [(auth, body)] = Gateway.received
    assert body["to"] == MOBILE
    assert body["text"].startswith("Hörakustik")
    assert "Ihr Termin wurde verschoben auf 02.12. um 09:00" in body["text"]  # Berlin time
    assert body["text"].endswith("Bis bald!")
    s.expire_all()
    assert row.state is NotificationState.SENT and row.channel is Channel.SMS
    assert smtp.to(CUSTOMER) == []


@pytest.mark.parametrize(
    ("purpose", "prepare", "refusal"),
    [
        ("confirmation", "started", Refusal.STARTED),
        ("confirmation", "cancelled", Refusal.CANCELLED),
        ("moved", None, Refusal.NOT_MOVED),
        ("cancelled", None, Refusal.NOT_CANCELLED),
        ("free_text", "started", Refusal.STARTED),
    ],
)
def test_a_message_that_would_be_false_or_late_is_refused_and_writes_nothing(
    s, appointment, clock, purpose, prepare, refusal
):
    if prepare == "started":
        clock.now = appointment.start
    if prepare == "cancelled":
        cancel(s, appointment.practice, appointment, clock)
    before = messages(s), len(appointment.history)
    with pytest.raises(manual.Refused) as refused:
        send(s, appointment, clock, purpose=purpose, note="Hallo")
    assert refused.value.message == refusal
    s.rollback()
    assert (messages(s), len(appointment.history)) == before


def test_sms_needs_a_mobile_number_and_must_fit_one_message(s, appointment, clock):
    with pytest.raises(manual.Refused) as long:
        send(s, appointment, clock, channel="sms", purpose="free_text", note="x" * 150)
    assert long.value.field == "note" and long.value.params["limit"] == 160
    s.rollback()
    with pytest.raises(manual.Refused) as emoji:
        send(s, appointment, clock, channel="sms", purpose="free_text", note="Bis bald 🙂")
    assert emoji.value.field == "note"
    s.rollback()
    appointment.customer.phone = LANDLINE
    s.commit()
    assert manual.channels(appointment) == [Channel.EMAIL]
    with pytest.raises(manual.Refused) as landline:
        send(s, appointment, clock, channel="sms", purpose="free_text", note="Hallo")
    assert landline.value.field == "channel"
    s.rollback()
    assert messages(s) == 0


def test_a_confirmation_cancelled_before_delivery_is_skipped_and_the_cancellation_goes(
    capp, s, appointment, clock, smtp, redis_conn
):
    row = send(s, appointment, clock)
    cancel(s, appointment.practice, appointment, clock)
    deliver_due(capp, redis_conn)
    s.expire_all()
    assert row.state is NotificationState.SKIPPED
    [mail] = smtp.to(CUSTOMER)
    assert "storniert" in mail["Subject"]  # the cancellation itself, not the confirmation
    cancelled = send(s, appointment, clock, purpose=Purpose.CANCELLED, note="Wir rufen Sie an.")
    deliver_due(capp, redis_conn)
    s.expire_all()
    assert cancelled.state is NotificationState.SENT
    last = smtp.to(CUSTOMER)[-1]
    assert "Wir rufen Sie an." in last.get_body(("plain",)).get_content()
    assert method(last) == "CANCEL"
    assert "/cancel/" not in last.get_body(("plain",)).get_content()


def test_free_text_written_before_a_move_is_not_sent_for_the_new_time(
    capp, s, appointment, clock, smtp, redis_conn
):
    row = send(s, appointment, clock, purpose="free_text", note="Bitte nüchtern kommen.")
    later = appointment.start + timedelta(days=2)
    scheduling.move(s, appointment, appointment.resource, later, user_id=None, now=clock.now)
    deliver_due(capp, redis_conn)
    s.expire_all()
    assert row.state is NotificationState.SKIPPED
    assert smtp.to(CUSTOMER) == []


def test_the_same_form_key_twice_writes_one_message_and_one_note(s, appointment, clock):
    key = manual.new_key()
    first = send(s, appointment, clock, purpose="free_text", note="Hallo", key=key)
    again = send(s, appointment, clock, purpose="free_text", note="Hallo", key=key)
    assert first.id == again.id and messages(s) == 1
    assert sum(h.note_kind is NoteKind.MESSAGE for h in appointment.history) == 1
    assert appointment.status.kind is StatusKind.CONFIRMED
