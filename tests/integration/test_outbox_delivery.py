"""The outbox end to end: booking → after-commit job → real RQ worker → real SMTP server.

Mail is received by aiosmtpd in the test process and parsed with the email package; the
`.ics` is parsed with icalendar. The views and jobs read the real clock, so appointments are
booked relative to it.
"""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from rq import SimpleWorker
from sqlalchemy import select

from core import effects, outbox
from core.models import Notification, NotificationState, StatusKind
from core.workflow import change_status
from harness.appointments import book, demo_practice, status
from harness.processes import burst_process, finish, worker_env
from harness.smtp import free_port
from tests.workers import burst, dispatcher, mailing_app, make_app

CUSTOMER = "erika@example.org"


@pytest.fixture
def mail_app(database_url, tmp_path, smtp, redis_conn):
    with mailing_app(database_url, tmp_path, smtp) as app:
        yield app


@pytest.fixture
def db_session(mail_app):
    from extensions import db

    return db.session


@pytest.fixture
def clock():
    return datetime.now(UTC)


def rows(session) -> list[Notification]:
    """The outbox as it is now, detached; the read ends at once (SQLite: a reader's open
    transaction would block the worker's writes)."""
    session.expire_all()
    found = list(session.scalars(select(Notification).order_by(Notification.id)))
    for row in found:
        session.expunge(row)
    session.rollback()
    return found


def until(predicate, *, deadline: float = 20.0, step=lambda: None):
    """Poll: run `step` until `predicate()` holds or the deadline passes."""
    end = time.monotonic() + deadline
    while not predicate():
        assert time.monotonic() < end, "condition not reached before the deadline"
        step()


def calendar_part(message: EmailMessage):
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0], Calendar.from_ical(parts[0].get_content())


def test_booking_yields_a_confirmation_with_ics_and_a_cancel_link_that_cancels_on_post(
    mail_app, db_session, smtp, clock
):
    practice = demo_practice(db_session, clock)
    start = (clock + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    appointment = book(db_session, practice, clock, start=start)
    queued = mail_app.extensions["rq_queue"].job_ids
    assert sorted(queued) == sorted(f"outbox-{n.id}" for n in rows(db_session))

    burst(mail_app)

    assert {n.state for n in rows(db_session)} == {NotificationState.SENT}
    [confirmation] = smtp.to(CUSTOMER)
    assert "bestätigt" in confirmation["Subject"]
    assert "Hörakustik Sonnenschein" in confirmation["From"]
    assert confirmation["Reply-To"] == "mitte@demo.example"
    text = confirmation.get_body(("plain",)).get_content()
    html = confirmation.get_body(("html",)).get_content()
    assert "Guten Tag Frau Mustermann," in text  # the salutation she chose
    assert "10:00–10:30" in text and "10:00–10:30" in html  # 09:00 UTC shown in Berlin time
    assert "09:00" not in text
    assert "Telefon: +49 30 1234567" in text and "Hauptstraße 12, 10115 Berlin" in text
    part, calendar = calendar_part(confirmation)
    assert part.get_param("method") == "PUBLISH"
    assert part.get_filename() == "Termin.ics"
    event = calendar.events[0]
    assert calendar["METHOD"] == "PUBLISH"
    assert str(event["UID"]) == appointment.ics_uid
    assert event["SEQUENCE"] == appointment.ics_sequence
    first_sequence = event["SEQUENCE"]
    assert event.start.tzinfo.key == "Europe/Berlin" and event.start.hour == 10
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Berlin"]
    assert len(smtp.to("mitte@demo.example")) == 1  # the branch's copy
    assert len(smtp.to("praxis@demo.example")) == 1  # the staff alert

    cancel_url = next(w for w in text.split() if "/cancel/" in w)
    assert cancel_url in html
    client = mail_app.test_client()
    path = urlsplit(cancel_url).path
    assert client.get(path).status_code == 200
    burst(mail_app)
    assert len(smtp.messages) == 3  # GET changed nothing and queued nothing
    assert client.post(path, headers={"Origin": "http://localhost:5000"}).status_code == 200
    burst(mail_app)

    [_, cancelled] = smtp.to(CUSTOMER)
    assert "storniert" in cancelled["Subject"]
    part, calendar = calendar_part(cancelled)
    event = calendar.events[0]
    assert part.get_param("method") == "CANCEL" and calendar["METHOD"] == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == appointment.ics_uid
    assert event["SEQUENCE"] == first_sequence + 1
    [_, alert] = smtp.to("praxis@demo.example")
    assert "storniert" in alert["Subject"].lower()


def test_a_confirmation_for_an_appointment_cancelled_meanwhile_is_skipped(
    mail_app, db_session, smtp, clock
):
    practice = demo_practice(db_session, clock)
    appointment = book(db_session, practice, clock)
    cancelled = status(practice, StatusKind.CANCELLED)
    happened = change_status(appointment, cancelled, now=clock, by="user", reason="Krankheit")
    effects.record(db_session, happened, clock)
    db_session.commit()

    burst(mail_app)

    by_kind = {n.kind: n.state for n in rows(db_session)}
    assert by_kind["confirmation"] is NotificationState.SKIPPED
    assert by_kind["cancellation"] is NotificationState.SENT
    [message] = smtp.to(CUSTOMER)
    assert "„Krankheit“" in message.get_body(("plain",)).get_content()


def test_smtp_refusing_then_accepting_delivers_exactly_once(mail_app, db_session, smtp, clock):
    practice = demo_practice(db_session, clock)
    book(db_session, practice, clock)
    smtp.refuse = True

    burst(mail_app)

    assert smtp.messages == []
    for row in rows(db_session):
        assert row.state is NotificationState.PENDING and row.attempts == 1
        assert "451" in row.last_error and row.not_before > clock
    smtp.refuse = False
    until(
        lambda: all(r.state is NotificationState.SENT for r in rows(db_session)),
        step=lambda: burst(mail_app),
    )
    burst(mail_app)
    dispatcher(mail_app)
    burst(mail_app)
    recipients = sorted(str(m["To"]) for m in smtp.messages)
    assert recipients == sorted({CUSTOMER, "mitte@demo.example", "praxis@demo.example"})


def test_after_the_last_retry_the_row_is_failed_with_its_error(mail_app, db_session, smtp, clock):
    practice = demo_practice(db_session, clock)
    book(db_session, practice, clock)
    smtp.refuse = True

    until(
        lambda: all(r.state is NotificationState.FAILED for r in rows(db_session)),
        step=lambda: burst(mail_app),
    )

    for row in rows(db_session):
        assert row.attempts == 3 and "451" in row.last_error
    assert dispatcher(mail_app) == 0


def test_redis_flushed_after_a_booking_is_caught_up_by_the_dispatcher(
    mail_app, db_session, smtp, redis_conn, clock
):
    practice = demo_practice(db_session, clock)
    book(db_session, practice, clock)
    redis_conn.flushdb()

    burst(mail_app)
    assert smtp.messages == []

    assert dispatcher(mail_app) == 3
    assert dispatcher(mail_app) == 0  # queued jobs hold their rows
    burst(mail_app)
    assert len(smtp.messages) == 3
    assert {r.state for r in rows(db_session)} == {NotificationState.SENT}


def test_a_dispatcher_run_takes_at_most_its_batch_oldest_first_and_a_later_run_the_rest(
    mail_app, db_session, smtp, redis_conn, clock
):
    from notifications.queueing import job_id

    mail_app.config["OUTBOX_DISPATCH_BATCH"] = 2
    practice = demo_practice(db_session, clock)
    appointment = book(db_session, practice, clock, commit=False)
    db_session.query(Notification).delete()
    added = [  # the later a row was added, the longer it has been due
        outbox.add(
            db_session,
            appointment,
            outbox.Kind.CONFIRMATION,
            f"b{i}@example.org",
            now=clock,
            not_before=clock - timedelta(minutes=i + 1),
        )
        for i in range(4)
    ]
    db_session.commit()
    oldest, newest = {job_id(r.id) for r in added[2:]}, {job_id(r.id) for r in added[:2]}
    redis_conn.flushdb()  # the jobs the commit enqueued are lost
    queue = mail_app.extensions["rq_queue"]

    assert dispatcher(mail_app) == 2
    assert set(queue.job_ids) == oldest
    assert dispatcher(mail_app) == 0  # its batch is still held by the queued jobs
    burst(mail_app)
    assert sorted(str(m["To"]) for m in smtp.messages) == ["b2@example.org", "b3@example.org"]

    assert dispatcher(mail_app) == 2
    assert set(queue.job_ids) == newest
    burst(mail_app)
    assert len(smtp.messages) == 4
    assert {r.state for r in rows(db_session)} == {NotificationState.SENT}


def test_without_redis_the_booking_commits_and_waits_in_the_outbox(database_url, tmp_path, clock):
    from extensions import db
    from notifications import queueing

    app = make_app(database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        practice = demo_practice(db.session, clock)
        book(db.session, practice, clock)
        assert {r.state for r in rows(db.session)} == {NotificationState.PENDING}
        assert len(rows(db.session)) == 3
        assert queueing.worker_alive() is False
        db.session.remove()
        db.engine.dispose()


def test_worker_alive_sees_a_registered_worker(mail_app):
    from notifications import queueing

    queue = mail_app.extensions["rq_queue"]
    assert queueing.worker_alive() is False
    worker = SimpleWorker([queue], connection=queue.connection)
    worker.register_birth()
    try:
        assert queueing.worker_alive() is True
    finally:
        worker.register_death()


def test_without_mail_server_mail_is_written_as_eml_files(database_url, tmp_path, redis_conn):
    import email
    from email import policy

    from extensions import db

    app = make_app(database_url, tmp_path)
    clock = datetime.now(UTC)
    with app.app_context():
        book(db.session, demo_practice(db.session, clock), clock)
        burst(app)
        db.session.remove()
        db.engine.dispose()
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 3
    parsed = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    [confirmation] = [m for m in parsed if m["To"] == CUSTOMER]
    assert calendar_part(confirmation)[1]["METHOD"] == "PUBLISH"


def test_two_worker_processes_send_200_due_messages_each_exactly_once(
    mail_app, db_session, smtp, database_url, clock
):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks that skip held rows need PostgreSQL")
    practice = demo_practice(db_session, clock)
    appointment = book(db_session, practice, clock, commit=False)
    db_session.query(Notification).delete()
    for i in range(200):
        outbox.add(
            db_session, appointment, outbox.Kind.CONFIRMATION, f"c{i}@example.org", now=clock
        )
    db_session.commit()

    env = worker_env(database_url, smtp.port)
    workers = [burst_process(env, stderr=subprocess.PIPE) for _ in range(2)]
    for process in workers:
        finish(process, timeout=240)

    received = sorted(str(m["To"]) for m in smtp.messages)
    assert received == sorted(f"c{i}@example.org" for i in range(200))
    assert all(r.state is NotificationState.SENT and r.attempts == 1 for r in rows(db_session))


def test_a_request_needing_approval_gets_a_request_received_mail_in_english(
    mail_app, db_session, smtp, clock
):
    practice = demo_practice(db_session, clock)
    practice.language = "en"
    book(db_session, practice, clock, needs_approval=True)

    burst(mail_app)

    [received] = smtp.to(CUSTOMER)
    assert received["Subject"] == "We have received your appointment request"
    text = received.get_body(("plain",)).get_content()
    assert "not confirmed yet" in text and "/cancel/" in text
    _, calendar = calendar_part(received)  # the tentative appointment, as on the done page
    [event] = calendar.events
    assert str(event["STATUS"]) == "TENTATIVE" and str(event["SUMMARY"]).endswith("(requested)")
    [alert] = smtp.to("praxis@demo.example")
    assert alert["Subject"].startswith("New online request: Beratung")


def test_a_message_due_later_waits_for_its_time(mail_app, db_session, smtp, clock):
    practice = demo_practice(db_session, clock)
    appointment = book(db_session, practice, clock, commit=False)
    db_session.query(Notification).delete()
    later = datetime.now(UTC) + timedelta(seconds=2)
    outbox.add(db_session, appointment, "confirmation", CUSTOMER, now=clock, not_before=later)
    db_session.commit()

    burst(mail_app)
    assert smtp.messages == [] and dispatcher(mail_app) == 0

    until(lambda: len(smtp.messages) == 1, step=lambda: burst(mail_app))
    assert rows(db_session)[0].sent_at >= later


def test_a_failed_row_set_back_to_pending_is_enqueued_again(mail_app, db_session, smtp, clock):
    practice = demo_practice(db_session, clock)
    appointment = book(db_session, practice, clock, commit=False)
    db_session.query(Notification).delete()
    row = outbox.add(db_session, appointment, "confirmation", CUSTOMER, now=clock)
    row.state = NotificationState.FAILED
    db_session.commit()
    queue = mail_app.extensions["rq_queue"]
    queue.empty()  # the jobs of the rows deleted above

    row.state = NotificationState.PENDING  # what the console's "retry" does
    db_session.commit()

    assert queue.job_ids == [f"outbox-{row.id}"]
    burst(mail_app)
    assert len(smtp.messages) == 1


def test_sms_rows_go_to_the_log_provider(mail_app, db_session, tmp_path, clock):
    from core.models import Channel

    practice = demo_practice(db_session, clock)
    appointment = book(db_session, practice, clock, commit=False)
    db_session.query(Notification).delete()
    outbox.add(
        db_session,
        appointment,
        "reminder",
        "+4915112345678",
        now=clock,
        channel=Channel.SMS,
        payload={"text": "Erinnerung: Ihr Termin morgen um 10:00"},
    )
    db_session.commit()

    burst(mail_app)

    [sms] = (tmp_path / "sms").glob("*.txt")
    assert sms.read_text() == "To: +4915112345678\n\nErinnerung: Ihr Termin morgen um 10:00\n"
