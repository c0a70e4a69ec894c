"""Staff-made appointments: create for a customer and move, under the same lock and rule as
the widget (core.booking), so staff and customers can never double-book a resource."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core import booking, moving
from core.models import (
    Actor,
    Appointment,
    AppointmentType,
    Customer,
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
    status = next(s for s in practice.statuses if s.kind is StatusKind.CONFIRMED)
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
    """Move to another time or resource (any free time: staff agreed it with the customer);
    the .ics sequence rises so calendars update."""
    ask = moving.Move(
        appointment.id, start, [resource], Actor.USER, offered_only=False, user_id=user_id
    )
    moving.move(session, ask, now)
