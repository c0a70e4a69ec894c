"""Staff-made appointments: create for a customer and move, under the same lock and rule as
the widget (core.booking), so staff and customers can never double-book a resource, buffers
included. Staff may book outside the working hours (they agreed it with the customer), but
not on a day the branch is closed: nobody would be there, and the reminder scan would hold
the customer's reminder back. The practice opens such a day explicitly first."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core import booking, closures, moving
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


class BranchClosed(Exception):
    """The branch is closed on that day (a public holiday or the practice's closing day)."""

    def __init__(self, day: date, name: str):
        super().__init__(f"{day}: {name}")
        self.day, self.name = day, name


def ensure_open(session: Session, resource: Resource, start: datetime, language: str) -> None:
    """Raise BranchClosed when the resource's branch is closed on the local day of `start`."""
    name = closures.closed_on(session, resource.branch, start, language)
    if name is not None:
        raise BranchClosed(start.astimezone(ZoneInfo(resource.practice.timezone)).date(), name)


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
    language: str = "de",
) -> Appointment:
    """A confirmed appointment agreed with the customer (by phone, at the desk). A
    BranchClosed names the closure in `language` (the staff member's)."""
    end = start + timedelta(minutes=kind.duration_minutes)
    ensure_open(session, resource, start, language)
    booking.ensure_free(session, resource.id, kind, start, end, lock=True)
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
    language: str = "de",
) -> None:
    """Move to another time or resource (any free time: staff agreed it with the customer,
    but not on a closed day); the .ics sequence rises so calendars update, the moved
    appointment takes its type's buffers as they are set now, checked at the new time, and
    the messages it causes wait out the practice's undo window (core.undo)."""
    ensure_open(session, resource, start, language)
    ask = moving.Move(
        appointment.id,
        start,
        [resource],
        Actor.USER,
        offered_only=False,
        user_id=user_id,
        undoable=True,
    )
    moving.move(session, ask, now)
