"""Retention, export and erasure on a real database, using the demo practice."""

import json
from datetime import timedelta

from sqlalchemy import select

from core import abuse, demo, privacy, workflow
from core.models import Appointment, Customer, NoteKind, Practice, Status, StatusKind


def seeded(session, now):
    practice, _ = demo.seed(session, now=now, admin_password_hash="x")
    return practice


def status_of_kind(practice, kind):
    return next(s for s in practice.statuses if s.kind == kind)


def test_retention_anonymises_old_unlinked_and_cancelled_requests_only(session, now):
    practice = seeded(session, now)
    appointments = session.scalars(select(Appointment).order_by(Appointment.id)).all()
    old, recent, linked = appointments[0], appointments[1], appointments[2]
    customer = Customer(
        practice=practice, last_name="Schmidt", email="m@example.org", created_at=now
    )
    linked.customer = customer
    linked.status = status_of_kind(practice, StatusKind.CONFIRMED)
    for hours, a in enumerate((old, linked)):  # one after the other: never a double booking
        a.start = now - timedelta(days=120, hours=hours)
        a.end = a.start + timedelta(minutes=30)
    old.req_message = "Tinnitus seit Mai"
    session.commit()

    assert privacy.anonymise_expired(session, now) == 1
    session.expire_all()
    assert old.req_email == "" and old.req_last_name == privacy.REDACTED
    assert old.req_message == "" and old.anonymized_at == now
    assert recent.anonymized_at is None and recent.req_email
    assert linked.anonymized_at is None and linked.req_email
    assert privacy.anonymise_expired(session, now) == 0


def test_export_then_erase_a_customer(session, now):
    practice = seeded(session, now)
    appointment = session.scalars(select(Appointment)).first()
    customer = Customer(
        practice=practice,
        first_name="Erika",
        last_name="Mustermann",
        email="erika@example.org",
        phone="+4915112345678",
        created_at=now,
    )
    appointment.customer = customer
    moved = {"old": appointment.start.isoformat(), "new": now.isoformat()}
    workflow.add_note(appointment, NoteKind.MOVED, moved, now=now)
    session.commit()

    data = privacy.export_customer(session, customer)
    assert data["customer"]["email"] == "erika@example.org"
    assert data["appointments"][0]["submitted"]["email"] == appointment.req_email
    notes = [(h["note_kind"], h["note_params"]) for h in data["appointments"][0]["history"]]
    assert ("moved", moved) in notes and (None, {}) in notes  # the booking's own entry
    assert json.loads(json.dumps(data)) == data

    assert privacy.erase_customer(session, customer, now) == 1
    session.commit()
    session.expire_all()
    assert session.scalars(select(Customer)).all() == []
    kept = session.get(Appointment, appointment.id)
    assert kept.customer_id is None and kept.req_email == ""
    assert session.get(Status, kept.status_id) is not None


def test_blocklist_matches_email_case_insensitively_and_phone(session, now):
    practice = seeded(session, now)
    other = Practice(slug="other", name="Other", created_at=now)
    session.add(other)
    abuse.block(session, practice.id, "Spam@Example.org", now=now)
    abuse.block(session, practice.id, "+4915100000000", now=now)
    abuse.block(session, practice.id, "spam@example.org", now=now)  # idempotent
    session.commit()
    assert abuse.is_blocked(session, practice.id, "spam@example.ORG", "")
    assert abuse.is_blocked(session, practice.id, "ok@example.org", "+4915100000000")
    assert not abuse.is_blocked(session, practice.id, "ok@example.org", "+4915199999999")
    assert not abuse.is_blocked(session, other.id, "spam@example.org")


def test_erasure_withdraws_an_unsent_please_confirm_email(session, now):
    from core import coordination

    practice = seeded(session, now)
    appointment = session.scalars(select(Appointment).order_by(Appointment.start)).first()
    appointment.customer = Customer(
        practice=practice, last_name="Mustermann", email="erika@example.org", created_at=now
    )
    session.commit()
    request = coordination.create(
        session,
        [appointment],
        recipients="erika@example.org",
        allow_decline=True,
        message="Bitte bestätigen",
        now=now,
    )
    session.commit()
    privacy.erase_customer(session, appointment.customer, now)
    session.commit()
    session.expire_all()
    assert request.withdrawn_at == now and request.recipients == privacy.REDACTED
    assert coordination.state(request, now) is coordination.State.WITHDRAWN
