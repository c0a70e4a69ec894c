"""Coordination requests in the console: the form with bundling and preview, the badge,
withdrawing within the grace period, and the declined tray. (Delivery, the customer's links
and the emails themselves: tests/integration/test_coordination.py.)"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import coordination
from core.models import Appointment, CoordinationRequest, Customer, Notification, StatusKind
from tests.integration.test_coordination import CUSTOMER, staff_appointment
from tests.web.staff import NOW, practice


class FixedClock:
    now = NOW


def bookings(session, days=(1, 3)) -> list[Appointment]:
    """Staff appointments of one customer in the week of 30 November 2026."""
    p = practice(session)
    booked = [staff_appointment(session, p, FixedClock, days=d) for d in days]
    session.commit()
    return booked


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def form_of(first: Appointment) -> str:
    return f"/console/appointments/{first.id}/coordination"


def test_the_form_proposes_the_weeks_other_appointments_and_the_customers_address(console, session):
    first, second = bookings(session)
    page = console.get(form_of(first))
    assert page.status_code == 200
    assert f'name="bundle" value="{second.id}" id="bundle-{second.id}" checked' in page.text
    assert f'value="{CUSTOMER}"' in page.text
    assert "10 minutes" in page.text or "10 Minuten" in page.text


def test_the_preview_shows_the_final_text_and_stores_nothing(console, session):
    first, second = bookings(session)
    page = console.post(
        form_of(first),
        data={
            "bundle": [str(second.id)],
            "recipients": CUSTOMER,
            "allow_decline": "yes",
            "message": "Wie telefonisch besprochen, Frau Kunde.",
            "action": "preview",
        },
    )
    assert page.status_code == 200
    assert "Wie telefonisch besprochen, Frau Kunde." in page.text
    assert "&lt;accept link&gt;" in page.text and "&lt;decline link&gt;" in page.text
    assert "/confirm/" not in page.text  # a preview never holds a working link
    assert page.text.count("01.12.2026") >= 1 and "03.12.2026" in page.text
    assert count(session, CoordinationRequest) == 0 and count(session, Notification) == 0


def test_sending_schedules_it_after_the_grace_and_the_badge_explains_it(console, session):
    first, second = bookings(session)
    sent = console.post(
        form_of(first),
        data={
            "bundle": [str(second.id)],
            "recipients": f"{CUSTOMER}, b@example.org",
            "message": "Hallo",
        },
    )
    assert sent.status_code == 303
    [request] = session.scalars(select(CoordinationRequest)).all()
    assert [a.id for a in request.appointments] == [first.id, second.id]
    assert request.allow_decline is False  # the box was not ticked
    rows = session.scalars(select(Notification)).all()
    assert sorted(r.recipient for r in rows) == ["b@example.org", CUSTOMER]
    assert {r.not_before for r in rows} == {NOW + timedelta(minutes=10)}
    page = console.get(f"/console/appointments/{second.id}")
    assert "coordination-scheduled" in page.text
    assert f"/console/coordination/{request.id}/withdraw" in page.text


def test_withdrawing_within_the_grace_and_not_after_sending(app, console, session):
    first, later = bookings(session)
    console.post(form_of(first), data={"recipients": CUSTOMER, "message": "x"})
    console.post(form_of(later), data={"recipients": CUSTOMER, "message": "y"})
    early, late = session.scalars(select(CoordinationRequest).order_by(CoordinationRequest.id))
    assert console.post(f"/console/coordination/{early.id}/withdraw").status_code == 303
    session.expire_all()
    assert early.withdrawn_at == NOW
    assert "coordination-withdrawn" in console.get(f"/console/appointments/{first.id}").text

    app.config["CLOCK"] = lambda: NOW + timedelta(minutes=11)  # the grace is over
    console.post(f"/console/coordination/{late.id}/withdraw")
    session.expire_all()
    assert late.withdrawn_at is None
    page = console.get(f"/console/appointments/{later.id}")
    assert "coordination-queued" in page.text and "/withdraw" not in page.text  # not sent yet


def test_bad_input_gets_a_message_and_changes_nothing(console, session):
    first, _ = bookings(session)
    for data, message in [
        ({"recipients": "not an address"}, ("valid email", "gültige E-Mail")),
        ({"recipients": CUSTOMER, "message": "x" * 2001}, ("2000", "2000")),
        ({"recipients": ",".join(f"k{i}@example.org" for i in range(6))}, ("five", "fünf")),
    ]:
        page = console.post(form_of(first), data=data)
        assert page.status_code == 422, data
        assert any(m in page.text for m in message), data
    assert count(session, CoordinationRequest) == 0 and count(session, Notification) == 0


def test_only_linked_upcoming_active_appointments_can_be_sent(console, session):
    online = session.scalar(select(Appointment).where(Appointment.customer_id.is_(None)))
    page = console.get(f"/console/appointments/{online.id}")
    assert form_of(online) not in page.text
    refused = console.post(form_of(online), data={"recipients": CUSTOMER})
    assert refused.status_code == 422 and count(session, CoordinationRequest) == 0


def test_the_customer_page_offers_the_request_per_appointment(console, session):
    first, _ = bookings(session)
    customer = session.scalar(select(Customer).where(Customer.email == CUSTOMER))
    assert form_of(first) in console.get(f"/console/customers/{customer.id}").text


def test_a_declined_appointment_leaves_the_calendar_for_the_branchs_tray(console, session):
    [first] = bookings(session, days=(1,))
    calendar = f"/console/calendar?branch={first.branch_id}&date=2026-12-01"
    assert f"/console/appointments/{first.id}" in console.get(calendar).text
    assert "/console/declined" not in console.get(calendar).text  # no tray before a decline
    console.post(form_of(first), data={"recipients": CUSTOMER, "allow_decline": "yes"})
    request = session.scalar(select(CoordinationRequest))
    answer = coordination.answer(
        session, request, coordination.Action.DECLINE, now=NOW + timedelta(hours=1)
    )
    assert answer is coordination.Answer.DECLINED
    page = console.get(calendar)
    assert f"/console/appointments/{first.id}" not in page.text
    assert f"/console/declined?branch={first.branch_id}" in page.text
    tray = console.get(f"/console/declined?branch={first.branch_id}")
    assert tray.status_code == 200 and f"/console/appointments/{first.id}" in tray.text
    session.expire_all()
    assert first.status.kind is StatusKind.DECLINED
    page = console.get(f"/console/appointments/{first.id}", headers={"Accept-Language": "de"})
    assert "coordination-declined" in page.text
    assert "Vom Kunden über die Bitte um Bestätigung (E-Mail) abgelehnt" in page.text


def test_the_grace_period_is_a_practice_setting(console, session):
    settings = {"embed_origins": "", "inbox_poll_seconds": "120"}
    refused = console.post(
        "/console/settings", data={**settings, "coordination_grace_minutes": "500"}
    )
    assert refused.status_code == 422 and "120" in refused.text
    assert practice(session).coordination_grace_minutes == 10
    console.post("/console/settings", data={**settings, "coordination_grace_minutes": "2"})
    session.expire_all()
    assert practice(session).coordination_grace_minutes == 2
    first, _ = bookings(session)
    console.post(form_of(first), data={"recipients": CUSTOMER})
    assert session.scalar(select(CoordinationRequest.send_after)) == NOW + timedelta(minutes=2)
