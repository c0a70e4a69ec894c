"""Reminder settings, the test SMS and the reminder log through the test client."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from core import outbox
from core.models import Channel, Customer, NotificationState, Practice
from harness.appointments import book
from harness.sms_gateway import Gateway
from harness.smtp import free_port
from notifications import sms
from tests.web.staff import NOW, practice, staff_client

PAGE = "/console/settings/reminders"
VALID = {
    "reminders_enabled": "yes",
    "reminder_sms_enabled": "yes",
    "reminder_lead_days": "2",
    "quiet_hours_start": "21:30",
    "quiet_hours_end": "07:00",
    "reminder_any_active_status": "yes",
    "reminder_branch_codes": "MI, SP, MI",
    "sms_template": "{practice}: Termin am {day} um {time} in {branch}. Tel. {phone}",
}


def stored(session) -> tuple:
    session.expire_all()
    p = practice(session)
    return (
        p.reminders_enabled,
        p.reminder_sms_enabled,
        p.reminder_email_enabled,
        p.reminder_lead_days,
        p.quiet_hours_start,
        p.quiet_hours_end,
        p.reminder_any_active_status,
        p.reminder_branch_codes,
        p.sms_template,
    )


def test_valid_settings_are_saved(console, session):
    response = console.post(PAGE, data=VALID)
    assert response.status_code == 303
    assert stored(session) == (
        True,
        True,
        False,
        2,
        time(21, 30),
        time(7, 0),
        True,
        "MI, SP",
        VALID["sms_template"],
    )
    page = console.get(PAGE).text
    assert "Hörakustik Sonnenschein: Termin am 24.12. um 10:00 in Filiale Spandau" in page
    assert "von 160 Zeichen (GSM-7)" in page and "Achtung" not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reminder_lead_days", "0", "Zwischen 1 und 7 Tagen."),
        ("reminder_lead_days", "8", "Zwischen 1 und 7 Tagen."),
        ("reminder_lead_days", "zwei", "Zwischen 1 und 7 Tagen."),
        ("quiet_hours_start", "25:00", "Bitte eine Uhrzeit wie 20:00 angeben."),
        ("quiet_hours_end", "7 Uhr", "Bitte eine Uhrzeit wie 20:00 angeben."),
        ("reminder_branch_codes", "MI, XX", "Keine Filiale hat das Kürzel XX."),
        ("sms_template", "Termin {datum} um {time}", "Unbekannter Platzhalter {datum}"),
        ("sms_template", "{practice.__class__}", "Unbekannter Platzhalter"),
        ("sms_template", "x" * 501, "Höchstens 500 Zeichen."),
    ],
)
def test_each_bad_field_is_refused_at_the_field_and_changes_nothing(
    console, session, field, value, message
):
    before = stored(session)
    response = console.post(PAGE, data={**VALID, field: value})
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in response.text
    assert f'id="{field}" ' in response.text and 'aria-invalid="true"' in response.text
    assert stored(session) == before


def test_reminder_settings_are_for_admins_but_the_log_is_for_all_staff(app, console, session):
    staff = staff_client(app, session)
    assert staff.get(PAGE).status_code == 403
    assert staff.post(PAGE, data=VALID).status_code == 403
    assert staff.post(PAGE + "/test-sms", data={"number": "+4915112345678"}).status_code == 403
    log = staff.get("/console/reminders")
    assert log.status_code == 200 and 'aria-current="page">Erinnerungen' in log.text
    assert stored(session)[0] is False


def test_a_template_longer_than_one_sms_is_saved_with_a_warning_and_its_length(console, session):
    long = "Liebe Kundin, lieber Kunde, " * 5 + "{practice} {day} {time} {branch} {phone}"
    assert console.post(PAGE, data={**VALID, "sms_template": long}).status_code == 303
    page = console.get(PAGE).text
    length = sms.preview(practice(session), long).length
    assert length > 160
    assert f"Achtung: Mit Ihren längsten Namen hat der Text {length} Zeichen" in page


def test_a_template_with_characters_outside_gsm7_is_saved_with_a_warning(console, session):
    assert console.post(PAGE, data={**VALID, "sms_template": "Termin {day} 🙂"}).status_code == 303
    assert "außerhalb des GSM-7-Alphabets" in console.get(PAGE).text


def test_the_reminder_sms_uses_the_practices_template(app, console, session):
    console.post(PAGE, data={**VALID, "sms_template": "{practice}/{day}/{time}/{branch}/{x}"})
    assert practice(session).sms_template is None  # {x} is unknown: nothing saved
    console.post(PAGE, data={**VALID, "sms_template": "{practice}/{day}/{time}/{branch}/{phone}"})
    booked = book(session, practice(session), NOW, start=NOW + timedelta(days=1))
    with app.test_request_context():
        text = sms.reminder_text(booked)
    assert text == "Hörakustik Sonnenschein/23.11./11:00/Filiale Mitte/+49 30 1234567"


def test_the_provider_is_shown_without_its_api_key(app, console):
    app.config.update(SMS_PROVIDER="http", SMS_URL="https://sms.example/send", SMS_API_KEY="s3cr3t")
    page = console.get(PAGE).text
    assert "HTTP-Gateway (sms.example)" in page and "+49" in page
    assert "s3cr3t" not in page


def test_a_test_sms_with_the_log_provider_writes_the_file(app, console):
    response = console.post(PAGE + "/test-sms", data={"number": "0151 12345678"})
    assert response.status_code == 200
    assert "Die Test-SMS an +4915112345678 wurde gesendet." in response.text
    [file] = Path(app.config["SMS_DIR"]).glob("*.txt")
    text = file.read_text()
    assert text.startswith("To: +4915112345678") and "Hörakustik Sonnenschein" in text


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("030 1234567", "Das ist keine Mobilnummer"),
        ("hallo", "Das ist keine gültige Telefonnummer."),
        ("0151 1", "Das ist keine gültige Telefonnummer."),
    ],
)
def test_a_test_sms_needs_a_mobile_number(app, console, number, message):
    response = console.post(PAGE + "/test-sms", data={"number": number})
    assert response.status_code == 422
    assert message in response.text
    assert not Path(app.config["SMS_DIR"]).exists()


def test_a_test_sms_goes_to_the_http_gateway_with_key_sender_and_country_code(
    app,
    console,
    gateway,
):
    app.config.update(
        SMS_PROVIDER="http",
        SMS_URL=f"http://127.0.0.1:{gateway.server_address[1]}/send",
        SMS_API_KEY="k3y",
        SMS_SENDER="Sonnensch",
        SMS_COUNTRY_CODE="43",
    )
    response = console.post(PAGE + "/test-sms", data={"number": "+4915112345678"})
    assert response.status_code == 200 and "wurde gesendet" in response.text
    [(authorization, body)] = Gateway.received
    assert authorization == "Bearer k3y"
    assert (body["to"], body["from"], body["country_code"]) == ("+4915112345678", "Sonnensch", "43")
    assert "k3y" not in response.text


def test_a_gateway_refusal_is_reported_with_its_answer(app, console, gateway):
    app.config.update(
        SMS_PROVIDER="http", SMS_URL=f"http://127.0.0.1:{gateway.server_address[1]}/send"
    )
    Gateway.answer = (401, b'{"error": "invalid api key"}')
    response = console.post(PAGE + "/test-sms", data={"number": "+4915112345678"})
    assert response.status_code == 502
    answer = "HTTP 401 Unauthorized: {&#34;error&#34;: &#34;invalid api key&#34;}"
    assert f"Das SMS-Gateway meldet: {answer}" in response.text


def test_a_gateway_that_is_down_gives_a_clear_message_not_a_500(app, console):
    app.config.update(SMS_PROVIDER="http", SMS_URL=f"http://127.0.0.1:{free_port()}/send")
    response = console.post(PAGE + "/test-sms", data={"number": "+4915112345678"})
    assert response.status_code == 502
    assert "Das SMS-Gateway meldet:" in response.text and "refused" in response.text


def test_the_log_lists_only_this_practices_reminders_with_translated_reasons(app, console, session):
    p = practice(session)
    mine = book(session, p, NOW, start=NOW + timedelta(days=1))
    mine.customer = Customer(
        practice=p,
        first_name="Paul",
        last_name="Ruhe",
        preferred_channel=Channel.NONE,
        created_at=NOW,
    )
    row = outbox.add(session, mine, outbox.Kind.REMINDER, "-", now=NOW, key="r-mine")
    row.state, row.last_error = NotificationState.SKIPPED, "customer wants no messages"
    other = Practice(slug="b", name="B", created_at=NOW)
    session.add(other)
    session.flush()
    theirs = outbox.add(session, mine, outbox.Kind.REMINDER, "-", now=NOW, key="r-theirs")
    theirs.practice_id, theirs.last_error = other.id, "secret reason"  # another practice's row
    session.commit()

    page = console.get("/console/reminders").text
    assert "Paul Ruhe" in page and "Kunde wünscht keine Nachrichten" in page
    assert "secret reason" not in page
    assert "Paul Ruhe" not in console.get("/console/reminders?state=sent").text
    assert console.get("/console/reminders?state=nonsense").status_code == 200
