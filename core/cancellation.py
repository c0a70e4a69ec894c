"""The customer cancels through the signed link in an email.

The appointment is kept (statistics) with the practice's customer-cancellation status, which
frees the slot; the change is recorded and the staff alert and the cancellation email are
written to the outbox in the same transaction.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import effects
from core.models import Actor, Appointment, Status, StatusKind
from core.workflow import change_status


class Outcome(enum.StrEnum):
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    TOO_LATE = "too_late"


def cutoff(appointment: Appointment) -> datetime:
    """The last instant the customer may cancel online (default: the start)."""
    return appointment.start - timedelta(minutes=appointment.practice.cancel_cutoff_minutes)


def state(appointment: Appointment, now: datetime) -> Outcome | None:
    """Why the appointment cannot be cancelled online now, or None if it can."""
    if appointment.status.kind.frees_slot:
        return Outcome.ALREADY_CANCELLED
    if now >= cutoff(appointment):
        return Outcome.TOO_LATE
    return None


def customer_cancellation_status(session: Session, practice_id: int) -> Status:
    """The practice's status for customer cancellations, else its first cancelled-kind one."""
    return session.scalars(
        select(Status)
        .where(Status.practice_id == practice_id, Status.kind == StatusKind.CANCELLED)
        .order_by(Status.is_customer_cancellation.desc(), Status.position, Status.id)
    ).first()


def cancel_by_customer(session: Session, appointment_id: int, *, now: datetime) -> Outcome:
    """Cancel once; a repeated or late request changes nothing and says why."""
    appointment = session.scalars(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    refused = state(appointment, now)
    if refused is not None:
        session.rollback()
        return refused
    status = customer_cancellation_status(session, appointment.practice_id)
    happened = change_status(appointment, status, now=now, by=Actor.CUSTOMER)
    effects.record(session, happened, now)
    session.commit()
    return Outcome.CANCELLED
