"""The reminder scan on the real databases, and reminders delivered by the real transports:
an SMS gateway (an HTTP server in this process), SMTP (aiosmtpd) and `worker.py --burst`."""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import booking, outbox, reminders
from core.models import (
    Actor,
    Appointment,
    BranchDay,
    Channel,
    Customer,
    Notification,
    NotificationState,
    StatusKind,
    WaitlistEntry,
)
from core.workflow import change_status
from harness.appointments import book, demo_practice, status
from harness.processes import burst_process, finish, worker_env
from harness.sms_gateway import Gateway

MOBILE, LANDLINE = "+4915112345678", "+49301234567"


def tomorrow(now: datetime, hour: int = 9) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time(hour), tzinfo=UTC)


def enabled_practice(session, now):
    """The demo practice without its own online bookings: these tests count the reminders
    of the appointments they book themselves."""
    practice = demo_practice(session, now)
    practice.reminders_enabled = True
    online = session.scalars(select(Appointment).where(Appointment.source == "online")).all()
    session.execute(
        delete(WaitlistEntry).where(WaitlistEntry.appointment_id.in_([a.id for a in online]))
    )
    for appointment in online:
        session.delete(appointment)
    session.commit()
    return practice


def linked(session, practice, now, start, **fields):
    """A confirmed booking with a customer record linked to it."""
    appointment = book(session, practice, now, start=start, commit=False)
    fields = {
        "email": "erika@example.org",
        "phone": MOBILE,
        "preferred_channel": Channel.SMS,
        **fields,
    }
    appointment.customer = Customer(
        practice=practice, last_name="Mustermann", created_at=now, **fields
    )
    session.commit()
    return appointment


def reminder_rows(session) -> list[Notification]:
    query = select(Notification).where(Notification.kind == outbox.Kind.REMINDER)
    return list(session.scalars(query.order_by(Notification.id)))


def deliver(session, row: Notification, now: datetime) -> outbox.Delivery:
    sent = []
    outcome = outbox.deliver(
        session, row.id, now=now, send=sent.append, max_attempts=3, retry_base=timedelta(seconds=1)
    )
    assert (outcome is outbox.Delivery.SENT) == bool(sent)
    return outcome


def test_the_scan_writes_exactly_the_due_reminders(session, now):
    practice = enabled_practice(session, now)
    sms = linked(session, practice, now, tomorrow(now))
    email = linked(session, practice, now, tomorrow(now, 10), preferred_channel=Channel.EMAIL)
    nothing = linked(session, practice, now, tomorrow(now, 11), phone=LANDLINE, email=None)
    unlinked = book(session, practice, now, start=tomorrow(now, 12), email="kurt@example.org")
    group = linked(session, practice, now, tomorrow(now, 13))
    group.type = next(t for t in practice.appointment_types if t.capacity > 1)
    cancelled = linked(session, practice, now, tomorrow(now, 14))
    cancelled.status = status(practice, StatusKind.CANCELLED)
    linked(session, practice, now, now + timedelta(hours=5))  # today
    linked(session, practice, now, tomorrow(now) + timedelta(days=1))  # too far ahead
    session.commit()

    assert reminders.scan(session, now) == 4

    by_appointment = {r.appointment_id: r for r in reminder_rows(session)}
    assert set(by_appointment) == {sms.id, email.id, nothing.id, unlinked.id}
    # Not triaged yet: reminded at the address the booking gave (which got its confirmation).
    untriaged = by_appointment[unlinked.id]
    assert (untriaged.channel, untriaged.recipient) == (Channel.EMAIL, "kurt@example.org")
    assert untriaged.payload["unlinked"] is True and untriaged.state is NotificationState.PENDING
    assert (by_appointment[sms.id].channel, by_appointment[sms.id].recipient) == (
        Channel.SMS,
        MOBILE,
    )
    assert by_appointment[email.id].channel == Channel.EMAIL
    assert by_appointment[sms.id].not_before == now  # 09:00 in Berlin: no quiet hours
    skipped = by_appointment[nothing.id]
    assert skipped.state is NotificationState.SKIPPED
    assert "no SMS-capable number" in skipped.last_error
    assert reminders.scan(session, now) == 0
    assert len(reminder_rows(session)) == 4


def test_in_the_evening_reminders_wait_for_the_end_of_quiet_hours(session, now):
    practice = enabled_practice(session, now)
    practice.reminder_lead_days = 2
    linked(session, practice, now, tomorrow(now) + timedelta(days=1))  # Wednesday 10:00
    evening = now + timedelta(hours=12)  # Monday 21:00 in Berlin
    reminders.scan(session, evening)
    [row] = reminder_rows(session)
    assert row.not_before == tomorrow(now, 7)  # Tuesday 08:00 in Berlin
    assert deliver(session, row, tomorrow(now, 6)) is outbox.Delivery.NOT_DUE
    assert deliver(session, row, tomorrow(now, 7)) is outbox.Delivery.SENT


def test_a_reminder_that_would_leave_on_the_appointments_day_is_skipped_with_its_reason(
    session, now
):
    """Booked at 21:00 for 07:30 tomorrow: the quiet hours end at 08:00 on the day itself."""
    practice = enabled_practice(session, now)
    linked(session, practice, now, tomorrow(now, 6) + timedelta(minutes=30))  # 07:30 Berlin
    reminders.scan(session, now + timedelta(hours=12))
    [row] = reminder_rows(session)
    assert row.state is NotificationState.SKIPPED
    assert row.last_error == outbox.Skip.SAME_DAY


def test_a_reminder_delivered_after_the_start_is_skipped_with_its_reason(session, now):
    """A retry, or a worker that was down: the reminder must never arrive after the fact."""
    practice = enabled_practice(session, now)
    appointment = linked(session, practice, now, tomorrow(now))
    reminders.scan(session, now)
    [row] = reminder_rows(session)
    assert deliver(session, row, appointment.start + timedelta(minutes=1)) is (
        outbox.Delivery.SKIPPED
    )
    session.refresh(row)
    assert row.state is NotificationState.SKIPPED and row.last_error == outbox.Skip.STARTED


def test_a_moved_appointment_gets_a_new_reminder_and_the_old_one_is_not_sent(session, now):
    practice = enabled_practice(session, now)
    appointment = linked(session, practice, now, tomorrow(now))
    reminders.scan(session, now)
    appointment = session.get(type(appointment), appointment.id)
    appointment.start += timedelta(hours=2)
    appointment.end += timedelta(hours=2)
    session.commit()

    assert reminders.scan(session, now) == 1
    old, new = reminder_rows(session)
    assert deliver(session, old, now) is outbox.Delivery.SKIPPED
    assert deliver(session, new, now) is outbox.Delivery.SENT


def test_a_reminder_of_an_appointment_cancelled_after_queuing_is_not_sent(session, now):
    practice = enabled_practice(session, now)
    appointment = linked(session, practice, now, tomorrow(now))
    reminders.scan(session, now)
    appointment = session.get(type(appointment), appointment.id)
    change_status(
        appointment, status(practice, StatusKind.CANCELLED), now=now, by=Actor.USER, reason="ill"
    )
    session.commit()

    [row] = reminder_rows(session)
    assert deliver(session, row, now) is outbox.Delivery.SKIPPED


def test_two_scans_at_once_write_each_reminder_once(app, session, now, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    from extensions import db

    practice = enabled_practice(session, now)
    kind = next(t for t in practice.appointment_types if not t.requires_approval)
    expected = 0
    for minute in range(0, 600, 15):  # every time a resource is free (the demo holds some)
        start = tomorrow(now) + timedelta(minutes=minute)
        end = start + timedelta(minutes=kind.duration_minutes)
        if any(not booking.active_overlapping(session, r.id, start, end) for r in kind.resources):
            linked(session, practice, now, start)
            expected += 1
    assert expected > 30
    barrier, counts, errors = threading.Barrier(2), [], []

    def scan():
        with app.app_context(), Session(db.engine) as own:
            try:
                barrier.wait(timeout=10)
                counts.append(reminders.scan(own, now))
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sum(counts) == expected
    assert len(reminder_rows(session)) == expected


def test_the_sms_reminder_goes_to_the_http_gateway(app, session, now, gateway):
    from notifications import delivery

    app.config.update(
        SMS_PROVIDER="http",
        SMS_URL=f"http://127.0.0.1:{gateway.server_address[1]}/send",
        SMS_API_KEY="k3y",
        CLOCK=lambda: now,
    )
    practice = enabled_practice(session, now)
    linked(session, practice, now, tomorrow(now))
    reminders.scan(session, now)
    [row] = reminder_rows(session)

    with app.test_request_context():
        assert delivery.deliver(row.id) is outbox.Delivery.SENT

    [(authorization, body)] = Gateway.received
    assert authorization == "Bearer k3y"
    assert body["to"] == MOBILE
    assert "10:00" in body["text"] and "Mitte" in body["text"]
    assert len(body["text"]) <= 160


def test_a_gateway_that_is_down_gets_the_sms_again_with_backoff_then_it_is_failed(
    app, session, now, gateway
):
    """README: an SMS gateway that refuses is retried like SMTP and finally marked failed,
    with its answer on the row (the reminder log shows it)."""
    from notifications import delivery

    app.config.update(
        SMS_PROVIDER="http",
        SMS_URL=f"http://127.0.0.1:{gateway.server_address[1]}/send",
        CLOCK=lambda: now,
        RQ_RETRIES=2,
    )
    Gateway.answer = (503, b"maintenance")
    practice = enabled_practice(session, now)
    linked(session, practice, now, tomorrow(now))
    reminders.scan(session, now)
    [row] = reminder_rows(session)

    with app.test_request_context():
        assert delivery.deliver(row.id) is outbox.Delivery.RETRY
        session.refresh(row)
        assert row.state is NotificationState.PENDING and row.not_before > now
        assert "503" in row.last_error
        app.config["CLOCK"] = lambda: row.not_before
        assert delivery.deliver(row.id) is outbox.Delivery.FAILED
    session.refresh(row)
    assert row.state is NotificationState.FAILED and len(Gateway.received) == 2


def test_the_email_reminder_arrives_through_worker_burst(app, session, smtp, redis_conn):
    real_now = datetime.now(UTC)
    practice = enabled_practice(session, real_now)
    practice.quiet_hours_start = practice.quiet_hours_end = time(0, 0)
    session.commit()
    linked(session, practice, real_now, tomorrow(real_now, 10), preferred_channel=Channel.EMAIL)
    assert reminders.scan(session, real_now) == 1
    env = worker_env(
        app.config["SQLALCHEMY_DATABASE_URI"], smtp.port, secret_key=app.config["SECRET_KEY"]
    )
    finish(burst_process(env, stderr=subprocess.PIPE))

    [mail] = [m for m in smtp.to("erika@example.org") if "Erinnerung" in m["Subject"]]
    body = mail.get_body(("plain",)).get_content()
    assert "an Ihren Termin erinnern" in body and "/cancel/" in body
    [row] = reminder_rows(session)
    session.refresh(row)
    assert row.state is NotificationState.SENT


def test_a_batch_meeting_another_scans_row_writes_the_rest_row_by_row(session, now):
    """What a concurrent scan looks like to `_write`: one key was taken after the batch's
    key check; the batch savepoint fails, and the other rows are still written once."""
    practice = enabled_practice(session, now)
    taken = linked(session, practice, now, tomorrow(now))
    others = [linked(session, practice, now, tomorrow(now, hour)) for hour in (10, 11)]
    assert reminders._write(session, [taken], set(), now) == 1
    session.commit()
    assert reminders._write(session, [taken, *others], set(), now) == 2
    session.commit()
    rows = reminder_rows(session)
    assert sorted(r.appointment_id for r in rows) == sorted(a.id for a in [taken, *others])


def test_no_reminder_sends_a_customer_to_a_closed_branch(session, now):
    """A day that became closed after booking (a new statutory holiday, a state changed
    before the rule against stranding existed): the scan skips the reminder with a reason
    staff read in the reminder log, and so does delivery when the day closes in between."""
    practice = enabled_practice(session, now)
    closed_day = linked(session, practice, now, tomorrow(now))
    session.add(
        BranchDay(branch_id=closed_day.branch_id, day=tomorrow(now).date(), name="Trauertag")
    )
    session.commit()
    assert reminders.scan(session, now) == 1
    (row,) = reminder_rows(session)
    assert (row.state, row.last_error) == (NotificationState.SKIPPED, outbox.Skip.BRANCH_CLOSED)

    later = now + timedelta(days=1)
    open_day = linked(session, practice, later, tomorrow(later))
    assert reminders.scan(session, later) == 1
    queued = reminder_rows(session)[-1]
    assert queued.appointment_id == open_day.id and queued.state is NotificationState.PENDING
    session.add(BranchDay(branch_id=open_day.branch_id, day=tomorrow(later).date(), name="Sturm"))
    session.commit()
    assert deliver(session, queued, later) is outbox.Delivery.SKIPPED
    assert queued.last_error == outbox.Skip.BRANCH_CLOSED
