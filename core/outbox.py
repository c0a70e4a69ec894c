"""The outbox: turn domain events into Notification rows inside the causing transaction.

Rows are delivered later by a worker (see worker.py); writing them here, in the same
transaction as the change, is what makes "nothing lost" hold when Redis or SMTP is down.
Idempotency keys make writing the same message twice a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import events
from core.models import Actor, Appointment, Channel, Notification


class Kind:
    """Notification kinds; each has an email template pair `templates/email/<kind>.{txt,html}`."""

    REQUEST_RECEIVED = "request_received"
    CONFIRMATION = "confirmation"
    CONFIRMATION_COPY = "confirmation_copy"
    CANCELLATION = "cancellation"
    STAFF_NEW_REQUEST = "staff_new_request"
    STAFF_CUSTOMER_CANCELLED = "staff_customer_cancelled"


def customer_email(appointment: Appointment) -> str:
    """Where customer emails go: the linked customer's address, else the submitted one."""
    if appointment.customer is not None and appointment.customer.email:
        return appointment.customer.email
    return appointment.req_email


def copy_email(appointment: Appointment) -> str:
    """The practice-side copy goes to the resource's address, else the branch's."""
    return appointment.resource.notification_email or appointment.branch.email


def add(
    session: Session,
    appointment: Appointment,
    kind: str,
    recipient: str | None,
    *,
    now: datetime,
    not_before: datetime | None = None,
    channel: Channel = Channel.EMAIL,
    payload: dict | None = None,
    key: str | None = None,
) -> Notification | None:
    """Queue one message unless it has no recipient or an identical one is already queued."""
    if not recipient:
        return None
    key = key or f"{kind}:{appointment.id}:{appointment.ics_sequence}:{recipient.lower()}"
    exists = session.scalar(select(Notification.id).where(Notification.idempotency_key == key))
    if exists is not None:
        return None
    row = Notification(
        practice_id=appointment.practice_id,
        appointment=appointment,
        kind=kind,
        channel=channel,
        recipient=recipient,
        payload=payload or {},
        not_before=not_before or now,
        idempotency_key=key,
        created_at=now,
    )
    session.add(row)
    return row


def record(session: Session, happened: Iterable[events.Event], now: datetime) -> None:
    """Write the messages each event causes (the caller commits them with the change)."""
    for event in happened:
        appointment = session.get(Appointment, event.appointment_id)
        if appointment is None or appointment.blocked:
            continue
        for kind, recipient, payload in _messages(event, appointment):
            add(session, appointment, kind, recipient, now=now, payload=payload)


def _messages(event: events.Event, a: Appointment) -> list[tuple[str, str | None, dict]]:
    staff = a.practice.staff_alert_email
    match event:
        case events.AppointmentRequested(needs_approval=True):
            return [
                (Kind.REQUEST_RECEIVED, customer_email(a), {}),
                (Kind.STAFF_NEW_REQUEST, staff, {}),
            ]
        case events.AppointmentRequested():
            return [(Kind.STAFF_NEW_REQUEST, staff, {})]
        case events.AppointmentConfirmed():
            return [
                (Kind.CONFIRMATION, customer_email(a), {}),
                (Kind.CONFIRMATION_COPY, copy_email(a), {}),
            ]
        case events.AppointmentCancelled(by=by, reason=reason):
            out = [(Kind.CANCELLATION, customer_email(a), {"reason": reason, "by": str(by)})]
            if by is Actor.CUSTOMER:
                out.append((Kind.STAFF_CUSTOMER_CANCELLED, staff, {}))
            return out
    return []
