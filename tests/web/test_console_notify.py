"""Notifying the customer from an appointment in the console: the form offers what fits,
the preview shows the final message and stores nothing, sending writes the outbox row and
the history note (both shown), refusals explain themselves, CSRF and tenancy hold.
(Delivery and what the customer reads: tests/integration/test_manual_messages.py.)"""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import Appointment, Notification, Practice, StatusChange
from tests.integration.test_coordination import staff_appointment
from tests.web.staff import NOW, PW_HASH, StaffActions, practice
from tests.web.test_console_coordination import FixedClock

MOBILE = "+4915112345678"


def booked(session, phone=None) -> Appointment:
    a = staff_appointment(session, practice(session), FixedClock, days=1)
    a.customer.phone = phone
    session.commit()
    return a


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def form(a: Appointment) -> str:
    return f"/console/appointments/{a.id}/notify"


def test_sms_is_offered_only_with_a_mobile_number(console, session):
    landline = booked(session, "+49301234567")
    page = console.get(form(landline))
    assert page.status_code == 200
    assert 'value="email"' in page.text and 'value="sms"' not in page.text
    landline.customer.phone = MOBILE
    session.commit()
    page = console.get(form(landline))
    assert 'value="sms"' in page.text and MOBILE in page.text


def test_the_appointment_page_links_the_form_once_a_customer_is_linked(console, session):
    a = booked(session)
    assert form(a) in console.get(f"/console/appointments/{a.id}").text


def test_the_preview_shows_the_final_email_with_masked_links_and_stores_nothing(console, session):
    a = booked(session)
    notes = count(session, StatusChange)
    page = console.post(
        form(a),
        data={
            "channel": "email",
            "purpose": "confirmation",
            "note": "Bis Dienstag!",
            "action": "preview",
            "key": "a" * 32,
        },
    )
    assert page.status_code == 200
    assert "ist bestätigt" in page.text and "Bis Dienstag!" in page.text
    assert "&lt;cancel link&gt;" in page.text and "/cancel/" not in page.text
    assert count(session, Notification) == 0
    assert count(session, StatusChange) == notes


def test_the_sms_preview_counts_its_characters(console, session):
    a = booked(session, MOBILE)
    page = console.post(
        form(a),
        data={
            "channel": "sms",
            "purpose": "free_text",
            "note": "Bitte Brille mitbringen.",
            "action": "preview",
            "key": "b" * 32,
        },
    )
    assert page.status_code == 200
    assert "Hörakustik Sonnenschein: Bitte Brille mitbringen." in page.text
    assert "49 von 160 Zeichen" in page.text
    assert count(session, Notification) == 0


def test_sending_shows_in_the_history_and_the_outbox(console, session):
    a = booked(session)
    sent = console.post(
        form(a),
        data={
            "channel": "email",
            "purpose": "free_text",
            "note": "Hallo",
            "action": "send",
            "key": "c" * 32,
        },
    )
    assert sent.status_code == 303
    [row] = session.scalars(select(Notification)).all()
    assert row.kind == "manual" and row.recipient == a.customer.email
    page = console.get(f"/console/appointments/{a.id}")
    assert "Nachricht an den Kunden per E-Mail: freier Text" in page.text
    outbox = console.get("/console/outbox")
    assert "Nachricht der Praxis (Kunde)" in outbox.text and a.customer.email in outbox.text


def test_a_refused_purpose_explains_itself_and_changes_nothing(console, session):
    a = booked(session)
    page = console.post(
        form(a),
        data={"channel": "email", "purpose": "cancelled", "action": "send", "key": "d" * 32},
    )
    assert page.status_code == 422
    assert "Der Termin ist nicht abgesagt" in page.text
    garbage = console.post(form(a), data={"channel": "fax", "purpose": "x" * 5000})
    assert garbage.status_code == 422
    assert count(session, Notification) == 0


def test_without_a_csrf_token_nothing_is_sent(app, console, session):
    a = booked(session)
    app.config["WTF_CSRF_ENABLED"] = True
    refused = console.post(
        form(a),
        data={"channel": "email", "purpose": "free_text", "note": "Hallo", "action": "send"},
    )
    assert refused.status_code == 400
    assert count(session, Notification) == 0


def test_another_practices_staff_get_404(app, session, console):
    a = booked(session)
    other = Practice(slug="other", name="Other", created_at=NOW)
    session.add(other)
    session.commit()
    from core.models import Role, User

    session.add(
        User(
            practice=other,
            email="o@o.example",
            role=Role.ADMIN,
            password_hash=PW_HASH,
            created_at=NOW,
        )
    )
    session.commit()
    client = app.test_client()
    StaffActions(client).login("o@o.example")
    assert client.get(form(a)).status_code == 404
    data = {"channel": "email", "purpose": "free_text", "note": "x", "action": "send"}
    assert client.post(form(a), data=data).status_code == 404
    assert count(session, Notification) == 0
