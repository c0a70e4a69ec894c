"""The one rule against double booking, shared by the widget and the console.

A booking, a move or a confirmation first locks the resource's row (`SELECT … FOR UPDATE` on
PostgreSQL; SQLite serialises writers on its own once the transaction writes), then re-reads
the resource's active appointments in the interval and checks them against capacity. The
lock is held until the caller commits, so two transactions for one resource run one after
the other and the second sees the first's appointment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.models import Appointment, AppointmentType, Resource, Status, StatusKind

FREEING_KINDS = (StatusKind.CANCELLED, StatusKind.DECLINED)


class SlotTaken(Exception):
    """The interval is no longer free for this resource."""


def lock_resource(session: Session, resource_id: int) -> Resource:
    """Take the per-resource booking lock for the rest of the transaction."""
    if session.get_bind().dialect.name == "sqlite":
        # A no-op write makes SQLite take its database write lock now, before we read.
        session.execute(update(Resource).where(Resource.id == resource_id).values(id=resource_id))
        return session.get(Resource, resource_id)
    return session.scalars(
        select(Resource).where(Resource.id == resource_id).with_for_update()
    ).one()


def active_overlapping(
    session: Session,
    resource_id: int,
    start: datetime,
    end: datetime,
    *,
    exclude_id: int | None = None,
) -> list[Appointment]:
    """Appointments of the resource that overlap [start, end) and still hold their slot."""
    query = (
        select(Appointment)
        .join(Status, Appointment.status_id == Status.id)
        .where(
            Appointment.resource_id == resource_id,
            Appointment.start < end,
            Appointment.end > start,
            Status.kind.not_in(FREEING_KINDS),
        )
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return list(session.scalars(query))


def ensure_free(
    session: Session,
    resource_id: int,
    kind: AppointmentType,
    start: datetime,
    end: datetime,
    *,
    exclude_id: int | None = None,
    attendees: int = 1,
) -> None:
    """Raise SlotTaken unless the interval can take this booking. Call after lock_resource.

    An individual type needs the interval empty. A group type may share it only with the
    same type at the same start, and only up to its capacity.
    """
    others = active_overlapping(session, resource_id, start, end, exclude_id=exclude_id)
    if not others:
        return
    if kind.capacity > 1 and all(o.type_id == kind.id and o.start == start for o in others):
        booked = sum(o.attendees for o in others)
        if booked + attendees <= kind.capacity:
            return
    raise SlotTaken()


def count_booked(session: Session, type_id: int, resource_id: int, start: datetime) -> int:
    """Attendees already booked into one group session."""
    return session.scalar(
        select(func.coalesce(func.sum(Appointment.attendees), 0))
        .join(Status, Appointment.status_id == Status.id)
        .where(
            Appointment.type_id == type_id,
            Appointment.resource_id == resource_id,
            Appointment.start == start,
            Status.kind.not_in(FREEING_KINDS),
        )
    )
