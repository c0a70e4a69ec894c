"""Moving an appointment to another time: the one use case behind a staff move, a
customer's reschedule and a waitlist claim.

It holds the booking rule of core.booking: lock the candidate resources (id order, as a
booking does), re-read the appointment under its own row lock, check the new time, then
change start, end and resource together and commit once. The old time is freed in the very
transaction that takes the new one, so a move that fails leaves everything as it was, and a
booking or another move of the same time waits for the lock and then sees it taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import booking, effects, events, undo, workflow
from core.models import Actor, Appointment, NoteKind, Resource


@dataclass(frozen=True)
class Move:
    """What is asked: the appointment, its new start, the resources it may land on (the
    first free one in id order wins) and who asks.

    `offered_only` holds the widget's rules (working hours, absences, grid, lead time,
    horizon) as well as the free-time check; staff may book any free time. An `undoable`
    move (staff's) holds its messages for the practice's undo window (core.undo). `note` is the
    history entry's kind, `check` a caller's condition on the freshly locked appointment
    (it raises to refuse, nothing changed)."""

    appointment_id: int
    start: datetime
    resources: list[Resource]
    by: Actor
    offered_only: bool
    note: NoteKind = NoteKind.MOVED
    user_id: int | None = None
    check: Callable[[Appointment], None] | None = None
    undoable: bool = False


def move(session: Session, ask: Move, now: datetime) -> Appointment:
    """Move the appointment, or raise booking.SlotTaken (or the check's exception) with
    nothing changed. Commits once; the events it records say where the appointment came
    from, so the freed time can be offered to others."""
    appointment = session.get(Appointment, ask.appointment_id)
    duration = appointment.end - appointment.start
    resource = _lock_first_fitting(session, appointment, ask, duration, now)
    appointment = _lock_appointment(session, ask.appointment_id)
    try:
        if ask.check is not None:
            ask.check(appointment)
        if resource is None:
            raise booking.SlotTaken()
    except Exception:
        session.rollback()
        raise
    old_start, old_resource_id = appointment.start, appointment.resource_id
    restorable = undo.begin(session, appointment) if ask.undoable else None
    appointment.resource = resource
    appointment.branch_id = resource.branch_id
    appointment.start, appointment.end = ask.start, ask.start + duration
    before, after = booking.buffers(appointment.type)  # the type's, as set now
    appointment.buffer_before_minutes = int(before.total_seconds() // 60)
    appointment.buffer_after_minutes = int(after.total_seconds() // 60)
    appointment.ics_sequence += 1
    appointment.updated_at = now
    workflow.add_note(
        appointment,
        ask.note,
        {"old": old_start.isoformat(), "new": ask.start.isoformat()},
        now=now,
        by=ask.by,
        user_id=ask.user_id,
    )
    moved = events.AppointmentMoved(appointment.id, ask.by, old_start, old_resource_id)
    effects.record(session, [moved], now)
    if restorable is not None:
        undo.hold(session, appointment, restorable, user_id=ask.user_id, now=now)
    booking.commit(session)
    return appointment


def _lock_first_fitting(session, appointment, ask: Move, duration, now) -> Resource | None:
    for resource in sorted(ask.resources, key=lambda r: r.id):
        booking.lock_resource(session, resource.id)
        if _fits(session, appointment, resource, ask, duration, now):
            return resource
    return None


def _fits(session, appointment: Appointment, resource: Resource, ask: Move, duration, now):
    if ask.offered_only:
        return booking.slot_is_offered(
            session,
            appointment.practice,
            appointment.type,
            resource,
            ask.start,
            now,
            exclude_id=appointment.id,
        )
    try:
        booking.ensure_free(
            session,
            resource.id,
            appointment.type,
            ask.start,
            ask.start + duration,
            exclude_id=appointment.id,
            attendees=appointment.attendees,
        )
    except booking.SlotTaken:
        return False
    return True


def _lock_appointment(session: Session, appointment_id: int) -> Appointment:
    """The appointment as committed now, locked after the resources (the lock order of
    every path: resources first, then the appointment), so a cancellation or another move
    that finished meanwhile is seen."""
    return session.scalars(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
