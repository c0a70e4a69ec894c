"""Builders for notification tests: the demo practice and appointments booked on it.

Appointments are written directly with the models (plus the outbox rows the booking would
write), so these tests do not depend on the widget's booking use case.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core import booking, demo, effects, events
from core.models import Actor, Appointment, Practice, Source, StatusKind


def demo_practice(session, now: datetime) -> Practice:
    practice, _ = demo.seed(session, now=now, admin_password_hash="x")
    return practice


def status(practice: Practice, kind: StatusKind):
    return next(s for s in practice.statuses if s.kind == kind and not s.is_customer_cancellation)


def book(
    session,
    practice: Practice,
    now: datetime,
    *,
    start: datetime | None = None,
    email: str = "erika@example.org",
    needs_approval: bool = False,
    commit: bool = True,
) -> Appointment:
    """An online booking of a "Hörtest" on its first free resource, confirmed at once unless
    it needs approval."""
    kind = next(t for t in practice.appointment_types if t.requires_approval == needs_approval)
    start = start or now + timedelta(days=1, hours=2)
    end = start + timedelta(minutes=kind.duration_minutes)
    resource = next(
        (r for r in kind.resources if not booking.active_overlapping(session, r.id, start, end)),
        None,
    )
    assert resource is not None, f"every {kind.name} resource is taken at {start}"
    appointment = Appointment(
        practice=practice,
        branch=resource.branch,
        resource=resource,
        type=kind,
        status=status(practice, StatusKind.START if needs_approval else StatusKind.CONFIRMED),
        source=Source.ONLINE,
        start=start,
        end=end,
        req_salutation="Frau",
        req_first_name="Erika",
        req_last_name="Mustermann",
        req_email=email,
        req_phone="+4915112345678",
        created_at=now,
        updated_at=now,
    )
    session.add(appointment)
    session.flush()
    happened = [events.AppointmentRequested(appointment.id)]
    if not needs_approval:
        happened.append(events.AppointmentConfirmed(appointment.id, Actor.CUSTOMER))
    effects.record(session, happened, now)
    if commit:
        session.commit()
    return appointment
