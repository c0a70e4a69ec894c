"""Linking shows its consequences: where confirmations go when the stored address differs
from the typed one (staff choose), and a new customer is checked in a prefilled form when
suggestions exist."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Appointment, Customer, NoteKind, Status, StatusKind
from tests.web.staff import NOW


def request_with_a_known_customer(session) -> tuple[Appointment, Customer]:
    a = session.scalars(
        select(Appointment).join(Status).where(Status.kind == StatusKind.START)
    ).first()
    known = Customer(
        practice_id=a.practice_id,
        first_name=a.req_first_name,
        last_name=a.req_last_name,
        email="alt@example.org",
        phone="+4930999999",
        created_at=NOW,
    )
    session.add(known)
    session.commit()
    return a, known


def test_the_page_says_where_confirmations_go_and_staff_choose(console, session):
    a, known = request_with_a_known_customer(session)
    page = console.get(f"/console/appointments/{a.id}").text
    assert "Bestätigungen und Erinnerungen per E-Mail gehen an:" in page
    assert 'name="take_email" value="stored" checked' in page
    assert "alt@example.org" in page and a.req_email in page
    console.post(
        f"/console/appointments/{a.id}/link",
        data={"customer": known.id, "take_email": "request", "take_phone": "stored"},
    )
    session.expire_all()
    known = session.get(Customer, known.id)
    assert known.email == a.req_email and known.phone == "+4930999999"


def test_keeping_the_stored_address_changes_nothing_on_the_customer(console, session):
    a, known = request_with_a_known_customer(session)
    console.post(
        f"/console/appointments/{a.id}/link", data={"customer": known.id, "take_email": "stored"}
    )
    session.expire_all()
    assert session.get(Customer, known.id).email == "alt@example.org"
    assert session.get(Appointment, a.id).customer_id == known.id


def test_with_suggestions_a_new_customer_is_checked_in_the_prefilled_form(console, session):
    a, known = request_with_a_known_customer(session)
    page = console.get(f"/console/appointments/{a.id}").text
    assert f'href="/console/customers/new?from={a.id}"' in page
    assert f"/console/appointments/{a.id}/new-customer" not in page
    form = console.get(f"/console/customers/new?from={a.id}")
    assert form.status_code == 200 and f'value="{a.req_email}"' in form.text
    assert "dieser Anfrage zugeordnet" in form.text
    response = console.post(
        f"/console/customers/new?from={a.id}",
        data={
            "salutation": "",
            "first_name": a.req_first_name,
            "last_name": a.req_last_name + "-Neu",
            "email": a.req_email,
            "phone": "",
            "preferred_channel": "email",
            "notes": "",
        },
    )
    assert response.status_code == 303 and response.location.endswith(f"/appointments/{a.id}")
    session.expire_all()
    linked = session.get(Appointment, a.id)
    assert linked.customer.last_name == a.req_last_name + "-Neu" and linked.customer_id != known.id
    assert linked.history[0].note_kind is NoteKind.CUSTOMER_CREATED
    again = console.get(f"/console/customers/new?from={a.id}").text  # linked now: a plain form
    assert 'value="' + a.req_email + '"' not in again
