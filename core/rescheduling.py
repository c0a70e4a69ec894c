"""The customer moves their own appointment through the "Termin verschieben" link.

Whether they may: the practice and the appointment's type allow it, the type is one the
widget offers (its free times are the widget's), and the cancellation deadline has not
passed (the link expires with it). The move itself is core.moving's, under the booking lock
and the widget's rules, so a reschedule and a booking of the same time cannot both win.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy.orm import Session

from core import booking, cancellation, moving
from core.models import Actor, Appointment, NoteKind


class Refusal(enum.StrEnum):
    NOT_ALLOWED = "not_allowed"  # the practice or the type does not offer it
    CANCELLED = "cancelled"
    TOO_LATE = "too_late"  # past the cancellation deadline
    SAME_TIME = "same_time"


class Refused(Exception):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal)
        self.refusal = refusal


def allowed(appointment: Appointment) -> bool:
    """The practice and the type let customers move this appointment (an individual one the
    widget books, of a contact that is not blocked)."""
    practice, kind = appointment.practice, appointment.type
    return (
        practice.reschedule_enabled
        and kind.reschedulable
        and kind.online_bookable
        and kind.capacity == 1
        and not appointment.blocked
    )


def refusal(appointment: Appointment, now: datetime) -> Refusal | None:
    """Why the customer cannot move this appointment now, or None if they can."""
    if not allowed(appointment):
        return Refusal.NOT_ALLOWED
    if appointment.status.kind.frees_slot:
        return Refusal.CANCELLED
    if now >= cancellation.cutoff(appointment):
        return Refusal.TOO_LATE
    return None


def reschedule(session: Session, appointment_id: int, start: datetime, now: datetime):
    """Move to `start` on a free resource of the same type and branch; raises Refused or
    booking.SlotTaken with nothing changed. Commits once."""
    appointment = session.get(Appointment, appointment_id)

    def check(current: Appointment) -> None:
        reason = refusal(current, now)
        if reason is None and current.start == start:
            reason = Refusal.SAME_TIME
        if reason is not None:
            raise Refused(reason)

    ask = moving.Move(
        appointment_id,
        start,
        booking.bookable_resources(appointment.type, appointment.branch_id),
        Actor.CUSTOMER,
        offered_only=True,
        note=NoteKind.RESCHEDULED,
        check=check,
    )
    return moving.move(session, ask, now)
