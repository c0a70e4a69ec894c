"""Undo instead of final misclicks: a staff change to an appointment (a status, a move) holds
the messages it wrote for the practice's undo window; taking the change back inside the
window restores the state before it and withdraws those messages, so the customer never
hears of a state that was undone.

The mechanism is the please-confirm grace's: the outbox rows are written at once with
`not_before` at the window's end, and delivery never sends a row that is no longer pending.
Undoing locks those rows first: a worker sending one holds its lock, so the undo waits,
finds it sent and refuses. Restoring a state that holds a slot re-checks the slot under the
booking lock (it may have been booked meanwhile).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import booking
from core.models import (
    Actor,
    Appointment,
    NoteKind,
    Notification,
    NotificationState,
    Resource,
    Status,
    StatusChange,
    UndoableChange,
)
from core.numbers import parse_count
from core.outbox import COLLECTED, Skip

MAX_SECONDS = 600  # ten minutes: longer, and a correction turns into news arriving late


class Refused(Exception):
    """The change cannot be undone; `message` (an English msgid) says why."""

    TOO_LATE = "The time to undo this change has passed; its message has left."
    CHANGED = "The appointment has changed since; this change can no longer be undone."
    SLOT_TAKEN = (
        "The earlier time has been booked meanwhile, so the change cannot be undone. "
        "Please agree a new time with the customer."
    )
    DONE = "This change has already been undone."

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_window(raw: str | None) -> int | None:
    """The undo window in seconds from a settings form, or None when out of 0–600."""
    value = parse_count((raw or "").strip(), -1)
    return value if 0 <= value <= MAX_SECONDS else None


def begin(session: Session, appointment: Appointment) -> dict:
    """Before a staff change: the state to restore, and collect the messages it writes."""
    session.info[COLLECTED] = []
    return snapshot(appointment)


def snapshot(appointment: Appointment) -> dict:
    """What an undo restores, and compares to see that nothing changed since."""
    return {
        "status_id": appointment.status_id or appointment.status.id,
        "resource_id": appointment.resource_id or appointment.resource.id,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
    }


def hold(
    session: Session, appointment: Appointment, before: dict, *, user_id: int, now: datetime
) -> UndoableChange | None:
    """Make the change just applied undoable: the messages it added since `begin` wait out
    the window. Call after `effects.record` and before the commit; with a window of 0
    nothing waits."""
    rows = session.info.pop(COLLECTED, [])
    seconds = appointment.practice.undo_seconds
    if seconds <= 0:
        return None
    until = now + timedelta(seconds=seconds)
    for row in rows:
        row.not_before = max(row.not_before, until)
    session.flush()
    change = UndoableChange(
        practice_id=appointment.practice_id,
        appointment=appointment,
        user_id=user_id,
        made_at=now,
        until=until,
        states={"before": before, "after": snapshot(appointment)},
        notification_ids=[row.id for row in rows],
    )
    session.add(change)
    return change


def latest_open(session: Session, appointment: Appointment, now: datetime):
    """The appointment's newest change that can still be undone, or None."""
    change = session.scalars(
        select(UndoableChange)
        .where(UndoableChange.appointment_id == appointment.id)
        .order_by(UndoableChange.id.desc())
        .limit(1)
    ).first()
    if change is None or not change.open(now) or snapshot(appointment) != change.states["after"]:
        return None
    return change


def undo(session: Session, change: UndoableChange, *, user_id: int, now: datetime) -> None:
    """Restore the state before `change` and withdraw its messages; commits once, or raises
    Refused and changes nothing."""
    try:
        _undo(session, change, user_id=user_id, now=now)
        booking.commit(session)
    except booking.SlotTaken:
        session.rollback()
        raise Refused(Refused.SLOT_TAKEN) from None
    except Refused:
        session.rollback()
        raise


def _undo(session: Session, change: UndoableChange, *, user_id: int, now: datetime) -> None:
    if change.undone_at is not None:
        raise Refused(Refused.DONE)
    if now >= change.until:
        raise Refused(Refused.TOO_LATE)
    rows = _lock_rows(session, change.notification_ids)
    if any(row.state is not NotificationState.PENDING for row in rows):
        raise Refused(Refused.TOO_LATE)
    appointment = change.appointment
    if snapshot(appointment) != change.states["after"]:
        raise Refused(Refused.CHANGED)
    before = change.states["before"]
    status = session.get(Status, before["status_id"])
    resource = session.get(Resource, before["resource_id"])
    start, end = datetime.fromisoformat(before["start"]), datetime.fromisoformat(before["end"])
    if not status.kind.frees_slot:
        booking.ensure_free(
            session,
            resource.id,
            appointment.type,
            start,
            end,
            exclude_id=appointment.id,
            attendees=appointment.attendees,
            lock=True,
        )
    undone_status = appointment.status
    appointment.status, appointment.resource, appointment.branch_id = (
        status,
        resource,
        resource.branch_id,
    )
    appointment.start, appointment.end, appointment.updated_at = start, end, now
    appointment.history.append(
        StatusChange(
            from_status=undone_status,
            to_status=status,
            at=now,
            by=Actor.USER,
            user_id=user_id,
            note_kind=NoteKind.UNDONE,
            note_params={"start": before["start"]},
        )
    )
    for row in rows:
        row.state, row.last_error = NotificationState.SKIPPED, Skip.UNDONE
    change.undone_at = now


def _lock_rows(session: Session, ids: list[int]) -> list[Notification]:
    """The change's outbox rows, locked against a worker sending them right now."""
    if not ids:
        return []
    query = select(Notification).where(Notification.id.in_(ids))
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database write lock.
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(attempts=Notification.attempts)
        )
    else:
        query = query.with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))
