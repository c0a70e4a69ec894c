"""Retention, export and erasure on a real database, using the demo practice."""

import json
from datetime import timedelta

from sqlalchemy import select

from core import abuse, coordination, demo, privacy, triage, workflow
from core.models import Appointment, Base, Customer, NoteKind, Practice, Status, StatusKind
from harness.appointments import book


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


def test_export_holds_the_messages_to_the_customer_their_requests_and_history(session, now):
    from core import coordination, triage
    from core.models import Notification, User

    practice = seeded(session, now)
    mine, theirs = session.scalars(
        select(Appointment)
        .join(Status, Appointment.status_id == Status.id)
        .where(Appointment.start > now, Status.kind == StatusKind.START)
        .order_by(Appointment.start)
    ).all()[:2]
    customer = Customer(
        practice=practice, last_name="Mustermann", email="erika@example.org", created_at=now
    )
    mine.customer = customer
    theirs.customer = Customer(
        practice=practice, last_name="Anders", email="anders@example.org", created_at=now
    )
    session.commit()
    admin = session.scalar(select(User))
    for a in (mine, theirs):
        confirmed = status_of_kind(practice, StatusKind.CONFIRMED)
        triage.set_status(session, a, confirmed.id, user_id=admin.id, now=now)
    request = coordination.create(
        session,
        [mine],
        recipients="erika@example.org, tochter@example.org",
        allow_decline=True,
        message="Bitte bestätigen",
        now=now,
    )
    session.commit()

    data = privacy.export_customer(session, customer)
    assert data["version"] == privacy.EXPORT_VERSION
    assert [a["id"] for a in data["appointments"]] == [mine.id]
    history = data["appointments"][0]["history"]
    assert history[0]["to"] == "Bestätigt" and history[0]["by"] == "user"
    assert set(history[0]) >= {"at", "from", "to", "by", "reason", "note_kind", "note_params"}
    [asked] = data["please_confirm_requests"]
    assert asked["appointment_ids"] == [mine.id] and asked["message"] == "Bitte bestätigen"
    assert asked["sent_at"] is None and asked["send_after"] == request.send_after.isoformat()
    recipients = {m["recipient"] for m in data["messages"]}
    everyone = set(session.scalars(select(Notification.recipient)))
    assert recipients == {"erika@example.org"}
    assert {"tochter@example.org", "anders@example.org"} <= everyone - recipients
    kinds = {m["kind"] for m in data["messages"]}
    assert {"confirmation", str(coordination.Kind.REQUEST)} <= kinds
    assert all(m["state"] == "pending" and m["sent_at"] is None for m in data["messages"])


def test_after_erasure_no_row_of_any_table_names_the_customer(session, now):
    """Erasure and retention must leave nothing that names the person: not the request, the
    history, the outbox rows and their idempotency keys, nor a please-confirm request."""
    practice = seeded(session, now)
    person = {
        "name": "Zwiebelfisch",
        "email": "q.zwiebelfisch@example.org",
        "phone": "+4915199887766",
    }
    appointment = book(session, practice, now, email=person["email"], start=now + timedelta(days=3))
    appointment.req_last_name, appointment.req_phone = person["name"], person["phone"]
    customer = Customer(
        practice=practice,
        first_name="Quirin",
        last_name=person["name"],
        email=person["email"],
        phone=person["phone"],
        created_at=now,
    )
    session.add(customer)
    session.flush()
    triage.link_customer(session, appointment, customer.id, user_id=None, now=now)
    request = coordination.create(
        session,
        [appointment],
        recipients=person["email"],
        allow_decline=True,
        message="Bitte bestätigen, Herr Zwiebelfisch",
        now=now,
    )
    request.sent_at = now
    session.commit()
    assert _mentions(session, person)  # the check sees the person before erasure

    privacy.erase_customer(session, customer, now)
    session.commit()
    assert _mentions(session, person) == []


def _mentions(session, person: dict) -> list[str]:
    """Every table row (as text) that holds the person's name, email or phone."""
    found = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).all():
            text = " ".join(str(v) for v in row)
            if any(value.lower() in text.lower() for value in person.values()):
                found.append(f"{table.name}: {text[:200]}")
    return found
