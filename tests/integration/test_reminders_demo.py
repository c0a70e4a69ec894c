"""Done-when of issue #7: with the demo data and a fixed clock, the scan the evening before
writes SMS (log provider) and email reminders exactly for the eligible appointments, and the
console's reminder log shows every skip with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from core import demo, outbox, reminders
from core.models import Channel, Notification, NotificationState, Practice
from tests.web.staff import StaffActions
from tests.workers import burst, dispatcher, mailing_app

PASSWORD = "demo-password-123"


def last_name(appointment) -> str:
    """The linked customer's name, else the one the online booking gave."""
    return appointment.customer.last_name if appointment.customer else appointment.req_last_name


def deliver_at(app, smtp, tmp_path, at: datetime) -> None:
    """Deliver everything due at `at` with the real RQ worker (in burst mode, this process):
    SMS to files, email to the SMTP sink. The worker's clock is pinned like the app's, since
    delivery refuses a reminder once its appointment has started by the clock."""
    with mailing_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path,
        smtp,
        CLOCK=lambda: at,
        SMS_PROVIDER="log",
        SMS_DIR=app.config["SMS_DIR"],
    ) as mailer:
        dispatcher(mailer)
        burst(mailer)


def test_the_evening_scan_of_the_demo_reminds_exactly_the_eligible_appointments(
    app, session, smtp, redis_conn, runner, now, monkeypatch, tmp_path
):
    app.config["CLOCK"] = lambda: now  # Monday 09:00 in Berlin
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", PASSWORD)
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert "nothing changed" in runner.invoke(args=["demo"]).output  # idempotent
    evening = now + timedelta(hours=9)  # Monday 18:00 in Berlin, before the quiet hours
    assert evening == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)

    written = reminders.scan(session, evening)

    rows = session.scalars(select(Notification).where(Notification.kind == outbox.Kind.REMINDER))
    by_name = {last_name(row.appointment): row for row in rows}
    assert written == 5
    assert sorted(by_name) == ["Brief", "Festnetz", "Mobil", "Mustermann", "Ruhe"]
    # The demo's online booking for tomorrow is not triaged yet: reminded at its own address.
    assert by_name["Mustermann"].recipient == "erika@example.org"
    assert (by_name["Mobil"].channel, by_name["Brief"].channel) == (Channel.SMS, Channel.EMAIL)
    assert by_name["Festnetz"].state is NotificationState.SKIPPED
    assert by_name["Ruhe"].state is NotificationState.SKIPPED

    deliver_at(app, smtp, tmp_path, evening)

    texts = sorted(Path(app.config["SMS_DIR"]).glob("*.txt"))
    assert [t.read_text().splitlines()[0] for t in texts] == ["To: +4915112345670"]
    assert "Erinnerung: Ihr Termin bei Hörakustik Sonnenschein am 24.11." in texts[0].read_text()
    reminder_mails = [m for m in smtp.messages if "Erinnerung" in m["Subject"]]
    assert sorted(str(m["To"]) for m in reminder_mails) == [
        "erika@example.org",
        "max.brief@example.org",
    ]
    untriaged = next(m for m in reminder_mails if m["To"] == "erika@example.org")
    assert "Guten Tag Frau Mustermann" in untriaged.get_body(("plain",)).get_content()
    session.expire_all()
    assert {r.state for r in (by_name["Mobil"], by_name["Brief"])} == {NotificationState.SENT}

    client = app.test_client()
    StaffActions(client).login(demo.ADMIN_EMAIL, PASSWORD)
    page = client.get("/console/reminders").text
    assert "keine SMS-fähige Nummer und keine E-Mail-Adresse" in page
    assert "Kunde wünscht keine Nachrichten" in page
    assert "Nicht zugeordnet: an die Kontaktdaten der Online-Buchung" in page
    skipped = client.get("/console/reminders?state=skipped").text
    assert "Festnetz" in skipped and "Ruhe" in skipped and "Mobil" not in skipped
    assert session.scalar(select(Practice.reminders_enabled))
