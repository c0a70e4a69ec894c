"""Staff-made appointments: create for a customer and move, under the same lock and rule as
the widget (core.booking), so staff and customers can never double-book a resource."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core import booking, effects, events, workflow
from core.models import (
    Actor,
    Appointment,
    AppointmentType,
    Customer,
    NoteKind,
    Practice,
    Resource,
    Source,
    StatusKind,
)


def create_for_customer(
    session: Session,
    practice: Practice,
    customer: Customer,
    kind: AppointmentType,
    resource: Resource,
    start: datetime,
    *,
    user_id: int,
    now: datetime,
) -> Appointment:
    """A confirmed appointment agreed with the customer (by phone, at the desk)."""
    end = start + timedelta(minutes=kind.duration_minutes)
    booking.lock_resource(session, resource.id)
    booking.ensure_free(session, resource.id, kind, start, end)
    status = next(s for s in practice.statuses if s.kind is StatusKind.CONFIRMED and not s.archived)
    appointment = booking.new_appointment(
        session,
        practice,
        kind,
        resource,
        start,
        status,
        source=Source.STAFF,
        by=Actor.USER,
        now=now,
        user_id=user_id,
        customer=customer,
    )
    booking.commit(session)
    return appointment


def move(
    session: Session,
    appointment: Appointment,
    resource: Resource,
    start: datetime,
    *,
    user_id: int,
    now: datetime,
) -> None:
    """Move to another time or resource; the .ics sequence rises so calendars update."""
    end = start + (appointment.end - appointment.start)
    booking.lock_resource(session, resource.id)
    booking.ensure_free(
        session,
        resource.id,
        appointment.type,
        start,
        end,
        exclude_id=appointment.id,
        attendees=appointment.attendees,
    )
    old = appointment.start
    appointment.resource = resource
    appointment.branch_id = resource.branch_id
    appointment.start, appointment.end = start, end
    appointment.ics_sequence += 1
    appointment.updated_at = now
    workflow.add_note(
        appointment,
        NoteKind.MOVED,
        {"old": old.isoformat(), "new": start.isoformat()},
        now=now,
        user_id=user_id,
    )
    effects.record(session, [events.AppointmentMoved(appointment.id)], now)
    booking.commit(session)
