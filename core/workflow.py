"""The status workflow: which kinds of status may follow which, and what a change means.

Practices name their own statuses; the system only cares about a status's kind. A change is
always recorded as a StatusChange row and yields the events that drive the messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import events
from core.models import Actor, Appointment, NoteKind, Status, StatusChange, StatusKind

K = StatusKind
ALLOWED: dict[StatusKind, frozenset[StatusKind]] = {
    K.START: frozenset({K.START, K.PROGRESS, K.CONFIRMED, K.CANCELLED, K.DECLINED}),
    K.PROGRESS: frozenset({K.START, K.PROGRESS, K.CONFIRMED, K.CANCELLED, K.DECLINED}),
    K.CONFIRMED: frozenset({K.PROGRESS, K.CONFIRMED, K.CANCELLED, K.DECLINED}),
    # A freed slot may have been booked again: a cancelled or declined appointment stays so.
    K.CANCELLED: frozenset(),
    K.DECLINED: frozenset(),
}


class InvalidTransition(Exception):
    """The requested status cannot follow the current one."""


class ReasonRequired(Exception):
    """Staff must tell the customer why an appointment is cancelled."""


def change_status(
    appointment: Appointment,
    new: Status,
    *,
    now: datetime,
    by: Actor,
    user_id: int | None = None,
    reason: str = "",
    note: NoteKind | None = None,
) -> list[events.Event]:
    """Move `appointment` to `new`, append the history row and return what happened.

    `note` says how the move came about where a reason typed by staff does not (a customer's
    answer to a please-confirm email)."""
    old = appointment.status
    if new.practice_id != appointment.practice_id:
        raise InvalidTransition("status belongs to another practice")
    if new.id == old.id:
        raise InvalidTransition("the appointment already has this status")
    if new.kind not in ALLOWED[old.kind]:
        raise InvalidTransition(f"{old.kind} cannot change to {new.kind}")
    reason = reason.strip()
    if new.kind is K.CANCELLED and by is Actor.USER and not reason:
        raise ReasonRequired()
    appointment.status = new
    appointment.updated_at = now
    appointment.history.append(
        StatusChange(
            from_status=old,
            to_status=new,
            at=now,
            by=by,
            user_id=user_id,
            reason=reason,
            note_kind=note,
        )
    )
    if new.kind is old.kind:
        return []
    appointment.ics_sequence += 1
    aid = appointment.id
    if new.kind is K.CONFIRMED:
        return [events.AppointmentConfirmed(aid, by)]
    if new.kind is K.CANCELLED:
        return [events.AppointmentCancelled(aid, by, reason)]
    if new.kind is K.DECLINED:
        return [events.AppointmentDeclined(aid, by)]
    return []


def add_note(
    appointment: Appointment,
    kind: NoteKind,
    params: dict[str, Any] | None = None,
    *,
    now: datetime,
    by: Actor = Actor.USER,
    user_id: int | None = None,
) -> None:
    """A history entry that is not a status move (moved, customer linked, merged, answered).

    Only the kind and its parameters are stored, so the console can say it in any language."""
    appointment.history.append(
        StatusChange(
            from_status=appointment.status,
            to_status=appointment.status,
            at=now,
            by=by,
            user_id=user_id,
            note_kind=kind,
            note_params=params or {},
        )
    )
