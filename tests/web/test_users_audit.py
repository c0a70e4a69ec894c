"""Logins and the audit log: admins deactivate, re-enable, set roles and passwords (never
leaving the practice without an admin); sessions of a deactivated login stop at once; every
staff change is audited and the customer's export carries what concerns them."""

from __future__ import annotations

from sqlalchemy import select

from core import demo
from core.models import (
    Appointment,
    AuditEntry,
    Role,
    Status,
    StatusKind,
    User,
)
from tests.web.staff import NOW, PW_HASH, StaffActions, practice, staff_client


def login_of(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def first_request(session) -> Appointment:
    return session.scalars(
        select(Appointment).join(Status).where(Status.kind == StatusKind.START)
    ).first()


def test_the_last_admin_can_be_neither_deactivated_nor_demoted(console, session):
    admin = login_of(session, demo.ADMIN_EMAIL)
    for form in ({"action": "deactivate"}, {"role": "staff"}):
        page = console.post(f"/console/users/{admin.id}", data=form)
        assert page.status_code == 422 and "mindestens eine aktive Administration" in page.text
        session.expire_all()
        admin = login_of(session, demo.ADMIN_EMAIL)
        assert admin.active and admin.role is Role.ADMIN
    second = User(
        practice=practice(session),
        email="chefin@demo.example",
        role=Role.ADMIN,
        password_hash="x",
        created_at=NOW,
    )
    session.add(second)
    session.commit()
    assert console.post(f"/console/users/{admin.id}", data={"role": "staff"}).status_code == 303
    session.expire_all()
    assert login_of(session, demo.ADMIN_EMAIL).role is Role.STAFF
    assert console.get("/console/users").status_code == 403  # demoted: no admin page now


def test_a_deactivated_login_is_out_at_once_and_back_when_re_enabled(app, console, session):
    colleague = staff_client(app, session)
    assert colleague.get("/console/inbox").status_code == 200
    staff = login_of(session, "staff@demo.example")
    assert console.post(f"/console/users/{staff.id}", data={"action": "deactivate"}).status_code
    response = colleague.get("/console/inbox")
    assert response.status_code == 302 and "/console/login" in response.location
    assert StaffActions(colleague).login("staff@demo.example").status_code == 401
    console.post(f"/console/users/{staff.id}", data={"action": "activate"})
    assert StaffActions(colleague).login("staff@demo.example").status_code == 302
    assert colleague.get("/console/inbox").status_code == 200


def test_a_new_password_ends_the_logins_other_sessions(app, console, session):
    colleague = staff_client(app, session)
    staff = login_of(session, "staff@demo.example")
    short = console.post(f"/console/users/{staff.id}", data={"password": "kurz"})
    assert short.status_code == 422 and "mindestens 10 Zeichen" in short.text
    console.post(f"/console/users/{staff.id}", data={"password": "ein-neues-passwort"})
    assert colleague.get("/console/inbox").status_code == 302
    relogin = StaffActions(colleague).login("staff@demo.example", "ein-neues-passwort")
    assert relogin.status_code == 302, relogin.text
    assert colleague.get("/console/inbox").status_code == 200


def test_staff_see_neither_logins_nor_the_audit_log(app, console, session):
    colleague = staff_client(app, session)
    admin = login_of(session, demo.ADMIN_EMAIL)
    assert colleague.get("/console/users").status_code == 403
    assert colleague.get("/console/audit").status_code == 403
    assert colleague.post(f"/console/users/{admin.id}", data={"role": "staff"}).status_code == 403


def test_the_audit_log_says_who_did_what_to_which_appointment_customer_and_setting(
    console, session
):
    a = first_request(session)
    admin = login_of(session, demo.ADMIN_EMAIL)
    old_status = a.status.name
    console.post(f"/console/appointments/{a.id}/new-customer")
    confirmed = session.scalars(select(Status).where(Status.kind == StatusKind.CONFIRMED)).first()
    console.post(f"/console/appointments/{a.id}/status", data={"status": confirmed.id})
    console.post(
        "/console/settings",
        data={
            "embed_origins": "https://praxis.example",
            "inbox_poll_seconds": "90",
            "privacy_policy_url": "https://demo.example/datenschutz",
            "staff_alert_email": "praxis@demo.example",
        },
    )
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert {e.user_id for e in entries} == {admin.id}
    by_target = {(e.target, e.action): e for e in entries}
    assert ("customer", "created") in by_target
    status_entry = next(e for e in entries if "status" in e.params)
    assert status_entry.target_id == a.id and status_entry.params["status"] == [
        old_status,
        confirmed.name,
    ]
    assert status_entry.customer_id == session.get(Appointment, a.id).customer_id
    settings = by_target[("practice", "changed")]
    assert set(settings.params["fields"]) == {"embed_origins", "inbox_poll_seconds"}
    page = console.get("/console/audit")
    assert page.status_code == 200 and "Protokoll" in page.text
    assert f"{old_status} → {confirmed.name}" in page.text
    assert "inbox_poll_seconds" in page.text and demo.ADMIN_EMAIL in page.text
    # Staff read the appointment by its type and time and the fields in their words.
    assert f"Termin {a.type.name} " in page.text and f"Termin #{a.id}<" not in page.text
    assert "customer_id" not in page.text and "busy_start" not in page.text


def test_the_customers_export_carries_the_audit_entries_about_them_only(console, session):
    a, b = session.scalars(
        select(Appointment).join(Status).where(Status.kind == StatusKind.START).limit(2)
    ).all()
    console.post(f"/console/appointments/{a.id}/new-customer")
    console.post(f"/console/appointments/{b.id}/new-customer")
    session.expire_all()
    customer_id = session.get(Appointment, a.id).customer_id
    export = console.get(f"/console/customers/{customer_id}/export").json
    targets = {(e["target"], e["target_id"]) for e in export["audit"]}
    assert ("customer", customer_id) in targets and ("appointment", a.id) in targets
    assert ("appointment", b.id) not in targets
    assert all(set(e) == {"at", "action", "target", "target_id", "params"} for e in export["audit"])


def test_changes_outside_the_console_are_not_attributed_to_anyone(app, session):
    demo.seed(session, now=NOW, admin_password_hash=PW_HASH)
    assert session.scalars(select(AuditEntry)).all() == []
