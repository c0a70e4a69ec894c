"""What each domain event causes: the messages it writes to the outbox and the please-confirm
requests it keeps in step with their appointments.

One table, `REACTIONS`, read top to bottom, is the whole answer to "who hears of this?". Use
cases collect events and call `record` before their one commit, so the messages are part of
the change's transaction. This module sits between the use cases (booking, workflow callers,
coordination answers) and the outbox; it imports neither booking nor coordination, so no
import ring closes through it.

The rules it holds:
- every online booking tells the customer: the confirmation when its status is a confirmed
  kind, else a "request received, not yet confirmed" receipt (the confirmation follows when
  staff confirm); the staff alert goes with both;
- a cancellation reaches the customer and every recipient of a sent please-confirm email,
  except for a staff-made appointment that was never announced: removed while its first
  please-confirm email still waits out its grace, it is a correction, and the customer hears
  nothing;
- a cancelled or declined appointment leaves the please-confirm requests still in their grace
  (the others in the bundle are still asked; a request left empty is withdrawn);
- after a request was sent, a move reaches its recipients as an update;
- a customer who moved their appointment gets the new time (with the calendar update) and
  the staff are told; every move re-plans the reminder for the new time;
- a time freed by a cancellation, a decline or a move is offered to the waiting list of its
  type and branch; a time taken by a booking or a move ends the offers on it (core.waitlist).
- a message staff write from the appointment goes to the customer by the channel they chose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import events, reminders, waitlist
from core.models import (
    Actor,
    Appointment,
    Channel,
    CoordinationRequest,
    Notification,
    NotificationState,
    Source,
    StatusKind,
)
from core.outbox import CUSTOMER_KINDS, Kind, add, address_key, copy_email, customer_email

Reaction = Callable[[Session, events.Event, Appointment, datetime], None]


def record(session: Session, happened: Iterable[events.Event], now: datetime) -> None:
    """Write what the events cause (the caller commits it together with the change)."""
    for event in happened:
        appointment = session.get(Appointment, event.appointment_id)
        if appointment is None or appointment.blocked:
            continue  # a blocked contact's booking is never answered
        for react in REACTIONS[type(event)]:
            react(session, event, appointment, now)


# Messages ---------------------------------------------------------------------------------


def _booked_online(session, event: events.AppointmentRequested, a: Appointment, now) -> None:
    if a.status.kind is not StatusKind.CONFIRMED:
        add(session, a, Kind.REQUEST_RECEIVED, customer_email(a), now=now)
    add(session, a, Kind.STAFF_NEW_REQUEST, a.practice.staff_alert_email, now=now)


def _confirmed(session, event: events.AppointmentConfirmed, a: Appointment, now) -> None:
    add(session, a, Kind.CONFIRMATION, customer_email(a), now=now)
    add(session, a, Kind.CONFIRMATION_COPY, copy_email(a), now=now)


def _cancelled(session, event: events.AppointmentCancelled, a: Appointment, now) -> None:
    """The customer (and every recipient of a sent request) hears of it once, unless it was
    never announced; the staff hear of a customer's own cancellation."""
    payload = {"reason": event.reason, "by": str(event.by)}
    if _announced(session, a, now):
        recipients = [customer_email(a), *_recipients_of_sent_requests(session, a)]
        for address in dict.fromkeys(r.lower() for r in recipients if r):
            add(session, a, Kind.CANCELLATION, address, now=now, payload=payload)
    if event.by is Actor.CUSTOMER:
        add(session, a, Kind.STAFF_CUSTOMER_CANCELLED, a.practice.staff_alert_email, now=now)


def _moved(session, event: events.AppointmentMoved, a: Appointment, now) -> None:
    """Recipients of a sent request hold the old time in their calendar: send the new one."""
    for request in _sent_requests(session, a):
        for address in request.addresses:
            version = f"{request.id}:{a.id}:{a.ics_sequence}"
            key = f"{Kind.COORDINATION_UPDATE}:{version}:{address_key(address)}"
            row = add(session, a, Kind.COORDINATION_UPDATE, address, now=now, key=key)
            if row is not None:
                row.coordination_request_id = request.id


def _moved_by_customer(session, event: events.AppointmentMoved, a: Appointment, now) -> None:
    """The customer moved it themselves (reschedule link, waitlist offer): they get the new
    time with its calendar update, the staff hear of it."""
    if event.by is not Actor.CUSTOMER:
        return
    payload = {"old": event.old_start.isoformat(), "start": a.start.isoformat()}
    add(session, a, Kind.RESCHEDULED, customer_email(a), now=now, payload=payload)
    add(
        session,
        a,
        Kind.STAFF_CUSTOMER_RESCHEDULED,
        a.practice.staff_alert_email,
        now=now,
        payload=payload,
    )


def _replan_reminder(session, event: events.AppointmentMoved, a: Appointment, now) -> None:
    reminders.replan(session, a, now)


def _offer_freed_time(session, event, a: Appointment, now) -> None:
    """The time the appointment left (cancelled, declined, moved away) goes to the waiting
    list of its type and branch."""
    if isinstance(event, events.AppointmentMoved):
        start, resource_id = event.old_start, event.old_resource_id
    else:
        start, resource_id = a.start, a.resource_id
    waitlist.offer_freed_time(session, a, resource_id, start, start + (a.end - a.start), now)


def _close_taken_offers(session, event, a: Appointment, now) -> None:
    waitlist.close_taken_offers(session, a, now)


def _staff_message(session, event: events.MessageRequested, a: Appointment, now) -> None:
    """The message staff wrote, by the channel they chose, for the time and state it speaks
    of (delivery skips it when either changed meanwhile)."""
    email = event.channel is Channel.EMAIL
    payload = {
        "purpose": event.purpose,
        "note": event.note,
        "start": a.start.isoformat(),
        "cancelled": a.status.kind.frees_slot,
    }
    if not email:
        payload["text"] = event.text
    recipient = customer_email(a) if email else a.customer.phone
    key = f"{Kind.MANUAL}:{a.id}:{event.key}"
    add(
        session, a, Kind.MANUAL, recipient, now=now, channel=event.channel, payload=payload, key=key
    )


def _announced(session: Session, a: Appointment, now: datetime) -> bool:
    """Does the customer know of this appointment? They booked it online, or a message about
    it reached them, or staff agreed it with them without a please-confirm email in its
    grace (a phone booking). Only a staff booking whose first email is still waiting is
    unknown to the customer."""
    if a.source is Source.ONLINE or _told_by_message(session, a):
        return True
    return not _scheduled_requests(session, a, now)


def _told_by_message(session: Session, a: Appointment) -> bool:
    covering = select(CoordinationRequest.id).where(
        CoordinationRequest.appointments.any(Appointment.id == a.id)
    )
    sent = session.scalar(
        select(Notification.id)
        .where(
            Notification.state == NotificationState.SENT,
            or_(
                (Notification.appointment_id == a.id) & Notification.kind.in_(CUSTOMER_KINDS),
                Notification.coordination_request_id.in_(covering),
            ),
        )
        .limit(1)
    )
    return sent is not None


# Please-confirm requests -----------------------------------------------------------------


def _leave_scheduled_requests(session, event, a: Appointment, now) -> None:
    """A cancelled or declined appointment leaves every request still in its grace; the
    others of the bundle are still asked, and a request left with none is withdrawn."""
    if isinstance(event, events.AppointmentDeclined) and event.by is not Actor.USER:
        return  # the customer declined through the request itself: it is answered
    for request in _scheduled_requests(session, a, now):
        request.appointments.remove(a)
        if not request.appointments:
            request.withdrawn_at = now
            continue
        first = request.appointments[0]
        for row in _unsent_rows(session, request):
            row.appointment = first  # the email speaks of the request's first appointment


def _scheduled_requests(session: Session, a: Appointment, now: datetime):
    requests = session.scalars(
        select(CoordinationRequest).where(
            CoordinationRequest.appointments.any(Appointment.id == a.id)
        )
    )
    return [r for r in requests if r.scheduled(now)]


def _sent_requests(session: Session, a: Appointment) -> list[CoordinationRequest]:
    return list(
        session.scalars(
            select(CoordinationRequest).where(
                CoordinationRequest.appointments.any(Appointment.id == a.id),
                CoordinationRequest.withdrawn_at.is_(None),
                CoordinationRequest.id.in_(
                    select(Notification.coordination_request_id).where(
                        Notification.kind == Kind.COORDINATION_REQUEST,
                        Notification.state == NotificationState.SENT,
                    )
                ),
            )
        )
    )


def _recipients_of_sent_requests(session: Session, a: Appointment) -> list[str]:
    return [address for r in _sent_requests(session, a) for address in r.addresses]


def _unsent_rows(session: Session, request: CoordinationRequest) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(
                Notification.coordination_request_id == request.id,
                Notification.state == NotificationState.PENDING,
            )
        )
    )


REACTIONS: dict[type, tuple[Reaction, ...]] = {
    events.AppointmentRequested: (_booked_online, _close_taken_offers),
    events.AppointmentConfirmed: (_confirmed,),
    # Decide who hears of it before the appointment leaves its scheduled requests.
    events.AppointmentCancelled: (_cancelled, _leave_scheduled_requests, _offer_freed_time),
    events.AppointmentDeclined: (_leave_scheduled_requests, _offer_freed_time),
    # Close the offers on the new time before the old time is offered.
    events.AppointmentMoved: (
        _moved,
        _moved_by_customer,
        _replan_reminder,
        _close_taken_offers,
        _offer_freed_time,
    ),
    events.MessageRequested: (_staff_message,),
}
